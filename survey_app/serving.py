"""Running under gunicorn: token-free access logs and one rate-limit store for all workers.

``gunicorn.conf.py`` at the repository root (which gunicorn reads by default) plugs these
in, so ``gunicorn wsgi:app`` is production-ready as run from the repository.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gunicorn.glogging import Logger

from survey_app.config import ConfigError, check_rate_limit_storage, whole_number
from survey_app.logs import RedactTokens, redact


class RedactingLogger(Logger):
    """gunicorn's logger with survey tokens taken out of every access-log atom (request
    line, path, query, referrer, headers) and out of its own error messages."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.addFilter(RedactTokens())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value
                for key, value in atoms.items()}


def check_workers(workers: int, environ: Mapping[str, str]) -> None:
    """Refuse to start several production workers on a per-process rate-limit store."""
    if str(environ.get("APP_ENV", "")).lower() != "production":
        return
    try:
        check_rate_limit_storage(environ.get("RATELIMIT_STORAGE_URI", "memory://"),
                                 workers=workers, servers=whole_number(environ, "APP_SERVERS", 1))
    except ConfigError as error:
        raise SystemExit(f"Refusing to start: {error}") from None
