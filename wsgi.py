"""WSGI entry point: ``flask --app wsgi run`` or a WSGI server pointing at ``wsgi:app``."""

from survey_app import create_app

app = create_app()
