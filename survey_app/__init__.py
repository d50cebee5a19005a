"""The Flask application: the patient's survey journey and, later, staff portals.

``create_app()`` reads as the list of steps that make the app. Each step is a small
``init_app(app)`` in the module that owns it.
"""

from __future__ import annotations

from typing import Any

from flask import Flask


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the app; ``overrides`` (tests) win over settings from the environment."""
    from survey_app import auth, cli, config, extensions, intake, logs, web
    from survey_app.callbacks import bp as callbacks_bp
    from survey_app.patient import bp as patient_bp
    from survey_app.provider import bp as provider_bp

    app = logs.SurveyFlask(__name__, instance_relative_config=True)
    config.init_app(app, overrides)  # settings from the environment; production fails closed
    logs.init_app(app)  # no survey tokens in logged paths
    extensions.init_app(app)  # db, migrate, csrf, limiter, babel
    web.init_app(app)  # NHS.UK templates, static assets, CSP headers, error pages
    cli.init_app(app)  # flask demo, …
    app.register_blueprint(patient_bp)
    auth.init_app(app)  # staff sign-in, roles and scope; the administrators' pages
    app.register_blueprint(provider_bp)  # provider portal: results, charts and reports
    intake.init_app(app)  # HL7 v2 and FHIR from integration engines; flask intake …
    app.register_blueprint(callbacks_bp)  # GOV.UK Notify's delivery receipts
    return app
