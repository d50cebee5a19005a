"""gunicorn settings for the survey app (read by default from the working directory).

    gunicorn wsgi:app --workers 4 --bind 0.0.0.0:8000

Access logs go to standard output with survey tokens redacted; production refuses more
than one worker unless rate limits are kept in a shared store (Redis). The app is loaded
once in the master and forked: the libraries (pandas, statsmodels, matplotlib, WeasyPrint:
about 290 MB) are shared by every worker instead of loaded by each, and each worker then
opens its own database connections.
"""

import os

from survey_app.serving import check_workers

logger_class = "survey_app.serving.RedactingLogger"
accesslog = "-"
preload_app = True


def on_starting(server):
    """Check the worker count once it is final (command line included)."""
    check_workers(server.cfg.workers, os.environ)


def post_fork(server, worker):
    """Give the worker its own database connections: none opened in the master before the
    fork may be shared (SQLAlchemy: dispose without closing the parent's)."""
    from survey_app.extensions import db

    app = worker.app.wsgi()  # the app the master preloaded
    if hasattr(app, "app_context"):
        with app.app_context():
            db.engine.dispose(close=False)
