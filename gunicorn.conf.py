"""gunicorn settings for the survey app (read by default from the working directory).

    gunicorn wsgi:app --workers 4 --bind 0.0.0.0:8000

Access logs go to standard output with survey tokens redacted; production refuses more
than one worker unless rate limits are kept in a shared store (Redis).
"""

import os

from survey_app.serving import check_workers

logger_class = "survey_app.serving.RedactingLogger"
accesslog = "-"


def on_starting(server):
    """Check the worker count once it is final (command line included)."""
    check_workers(server.cfg.workers, os.environ)
