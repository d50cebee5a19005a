"""The web layer every page shares: NHS.UK templates, front-end assets, CSP, errors, locale.

Patient pages use the NHS.UK design system: the Jinja port (``nhsuk-frontend-jinja``) for
the markup and the matching ``nhsuk-frontend`` npm package for CSS, JavaScript and icons,
served by the app itself (no CDN, so the survey works where hospital networks block
third-party hosts). Both packages are pinned as a pair; start-up refuses a mismatch.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from pathlib import Path
from urllib.parse import unquote_to_bytes

from flask import (
    Flask,
    Response,
    current_app,
    g,
    render_template,
    request,
    send_from_directory,
)
from flask_babel import LazyString, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import AnonymousUserMixin, current_user
from flask_talisman import Talisman
from flask_wtf.csrf import CSRFError
from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.middleware.proxy_fix import ProxyFix

from survey_app.results.measures import PUBLISHING
from survey_app.services.text import UNREADABLE_MESSAGE, text_problem

# nhsuk-frontend-jinja 0.10.2 renders markup for exactly this nhsuk-frontend release.
NHSUK_FRONTEND_VERSION = "10.6.1"
STYLESHEET = "nhsuk-frontend.min.css"
SCRIPT = "nhsuk-frontend.min.js"
# Files served from dist/nhsuk itself; everything else comes from dist/nhsuk/assets.
TOP_LEVEL_ASSETS = frozenset({STYLESHEET, SCRIPT, STYLESHEET + ".map", SCRIPT + ".map"})
CACHE_AN_HOUR = {"Cache-Control": "public, max-age=3600"}
# Staff pages (sign-in, portal, administration), signed in or not: never kept in a cache.
STAFF_AREAS = ("/staff", "/admin", "/provider")
# The compiled CSS loads the NHS font from an NHS host; browsers request every declared
# face, which our CSP blocks (and offline it is unreachable), so those rules are dropped.
REMOTE_FONT_FACE = re.compile(r"@font-face\{[^}]*url\(https?://[^}]*\}")
LANGUAGES = ("en",)
SERVICE_NAME = _l("Leaving hospital survey")

# Only our own origin: no CDN, no inline code without this request's nonce, no framing.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self'",
    "font-src": "'self'",
    "connect-src": "'self'",
    "manifest-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

# Plain-language text for each error page (NHS service manual, "error pages").
ERROR_PAGES: dict[int, tuple[LazyString, LazyString]] = {
    400: (
        _l("Sorry, there is a problem with this page"),
        _l("Go back, reload the page and try again. Your earlier answers have been saved."),
    ),
    404: (
        _l("Page not found"),
        _l("If you typed the web address, check it is correct. If you pasted it, check you "
           "copied the entire address."),
    ),
    405: (
        _l("Sorry, there is a problem with this page"),
        _l("Go back and try again. Your earlier answers have been saved."),
    ),
    410: (
        _l("This page is no longer available"),
        _l("The page you are looking for has been removed."),
    ),
    413: (
        _l("Sorry, what you sent was too long"),
        _l("Go back, make your answer shorter and try again. Your earlier answers have been "
           "saved."),
    ),
    429: (
        _l("Sorry, there have been too many attempts"),
        _l("Wait a few minutes, then try again. Your earlier answers have been saved."),
    ),
    500: (
        _l("Sorry, there is a problem with the service"),
        _l("Try again later. Your earlier answers have been saved."),
    ),
    503: (
        _l("Sorry, the service is unavailable"),
        _l("Try again in a few minutes. Your earlier answers have been saved."),
    ),
}
# Staff (in the staff areas, or signed in anywhere) get the portal's layout and these
# words: nothing about saved answers, and a link back to their start page.
STAFF_ERROR_PAGES: dict[int, tuple[str, str]] = {
    400: ("Sorry, there is a problem with this page",
          "Go back, reload the page and try again."),
    403: ("You do not have permission to see this page",
          "Your account does not give you access to this page. If you need it for your "
          "work, ask an administrator."),
    404: ("Page not found",
          "If you typed the web address, check it is correct. If you pasted it, check you "
          "copied the entire address."),
    405: ("Sorry, there is a problem with this page", "Go back and try again."),
    410: ("This page is no longer available", "The page you are looking for has been removed."),
    413: ("Sorry, what you sent was too long",
          "Go back, make what you entered shorter and try again."),
    429: ("Sorry, there have been too many attempts", "Wait a few minutes, then try again."),
    500: ("Sorry, there is a problem with the service",
          "Try again later. If it keeps happening, tell your administrator."),
    503: ("Sorry, the service is unavailable", "Try again in a few minutes."),
}
RETRY_AFTER_SECONDS = 30
# The database could not be reached or answered (server down, restarting, SQLite locked).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, SQLAlchemyTimeoutError)


class FrontendAssetsMissing(RuntimeError):
    """The nhsuk-frontend npm package is absent or the wrong version."""


def init_app(app: Flask) -> None:
    """Set up templates, assets, security headers, error pages and locale selection."""
    configure_templates(app)
    serve_frontend_assets(app, frontend_dist(app))
    app.add_url_rule("/", "index", index)
    trust_proxies(app)
    # First of all hooks: before CSRF protection parses the form.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unreadable_requests)
    configure_security_headers(app)
    register_error_pages(app)
    app.extensions["babel"].locale_selector = select_locale  # babel is bound in extensions


def index() -> str:
    """Explain the service to someone who opens the bare address instead of their link."""
    return render_template("index.html")


def configure_templates(app: Flask) -> None:
    """Chain the NHS.UK macros after Flask's own loader and expose shared template values.

    Setting ``loader`` in ``jinja_options`` (as the package README suggests) would replace
    Flask's loader and silently hide blueprint template folders, so the loaders are chained.
    ``ChainableUndefined`` is what the NHS macros expect for absent nested parameters;
    Flask-Babel has already created the environment (extensions run first), so it is set on
    the environment itself, before any template is loaded. So is autoescaping, for every
    template: Flask's default escapes only ``.html``/``.xml``, so the macros' ``.jinja``
    files would print names and answers as markup. Their ``html`` parameters are still
    trusted (the macros mark them ``safe``): pass only markup built in a template or Markup.
    """
    app.jinja_env.undefined = ChainableUndefined
    app.jinja_env.autoescape = True
    app.jinja_env.globals["publishing"] = PUBLISHING  # the rules pages quote
    app.jinja_loader = ChoiceLoader(  # type: ignore[assignment]
        [app.jinja_loader, PackageLoader("nhsuk_frontend_jinja")]
    )

    @app.context_processor
    def shared_template_values() -> dict[str, object]:
        return {
            "cspNonce": csp_nonce(),
            "htmlLang": str(get_locale() or "en"),
            "service_name": SERVICE_NAME,
        }


def csp_nonce() -> str:
    """Return this request's CSP nonce, creating it if a hook failed before Talisman's ran.

    CSRF and rate-limit checks run before Talisman makes its nonce; their error pages still
    need one. Talisman adds whatever ``request.csp_nonce`` holds to the header afterwards.
    """
    nonce = getattr(request, "csp_nonce", None)
    if not nonce:
        nonce = secrets.token_urlsafe(18)
        request.csp_nonce = nonce  # type: ignore[attr-defined]
    return nonce


def frontend_dist(app: Flask) -> Path:
    """Return the ``nhsuk-frontend`` dist folder, or fail start-up with what to run."""
    configured = app.config.get("NHSUK_FRONTEND_DIR")
    root = Path(app.root_path).parent
    package = Path(configured) if configured else root / "node_modules" / "nhsuk-frontend"
    dist = package / "dist" / "nhsuk"
    fix = f"Run `npm ci` in {root} to install the front-end assets from package-lock.json."
    if not (dist / STYLESHEET).is_file() or not (package / "package.json").is_file():
        raise FrontendAssetsMissing(f"NHS.UK frontend assets not found in {package}. {fix}")
    version = json.loads((package / "package.json").read_text(encoding="utf-8")).get("version")
    if version != NHSUK_FRONTEND_VERSION:
        raise FrontendAssetsMissing(
            f"{package} holds nhsuk-frontend {version}, but the templates need "
            f"{NHSUK_FRONTEND_VERSION}. {fix}"
        )
    return dist


def serve_frontend_assets(app: Flask, dist: Path) -> None:
    """Serve the npm package at ``/assets`` (the path its CSS and the page template use).

    Production serves no source maps (``*.map``): they are for developers' tools, and would
    publish the unminified source of whatever we serve.
    """
    assets = dist / "assets"
    stylesheet = local_stylesheet(dist / STYLESHEET)
    production = app.config.get("APP_ENV") == "production"

    def frontend_asset(filename: str) -> Response:
        if production and filename.endswith(".map"):
            raise NotFound()
        if filename == STYLESHEET:
            response = Response(stylesheet, mimetype="text/css", headers=CACHE_AN_HOUR)
            response.add_etag()
            return response.make_conditional(request)
        folder = dist if filename in TOP_LEVEL_ASSETS else assets
        return send_from_directory(folder, filename, max_age=3600)  # 404 outside folder

    app.add_url_rule("/assets/<path:filename>", "frontend_asset", frontend_asset)


def local_stylesheet(path: Path) -> bytes:
    """Return the NHS stylesheet without the @font-face rules that point at another host."""
    return REMOTE_FONT_FACE.sub("", path.read_text(encoding="utf-8")).encode("utf-8")


def trust_proxies(app: Flask) -> None:
    """Believe ``X-Forwarded-For/Proto/Host/Port`` from ``TRUSTED_PROXIES`` proxies in front.

    Behind a reverse proxy every request otherwise comes from the proxy's address over
    plain HTTP: per-address limits would lump all patients together and the HTTPS CSRF
    check would compare the wrong scheme. With 0 (the default) the headers are ignored, so
    nobody can forge an address by sending them.
    """
    hops = int(app.config.get("TRUSTED_PROXIES") or 0)
    if hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops
        )


def refuse_unreadable_requests() -> tuple[str, int] | None:
    """Answer 400 for a path or query with control characters (a NUL reaching PostgreSQL
    would be a 500), or a posted form that is not UTF-8 (Werkzeug would silently drop or
    garble its fields). Forms check their own fields, with a message against the field."""
    address = [request.path]
    for key, values in request.args.lists():
        address += [key, *values]
    if any(text_problem(part) for part in address):
        return render_error(400)
    if request.mimetype == "application/x-www-form-urlencoded" and not utf8_form(
        request.get_data(cache=True)  # kept for the form parser
    ):
        return render_error(400, body=UNREADABLE_MESSAGE)
    return None


def utf8_form(body: bytes) -> bool:
    """Say whether every name and value of a url-encoded form decodes as UTF-8."""
    try:
        for part in re.split(rb"[&=]", body):
            unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def configure_security_headers(app: Flask) -> None:
    """Send CSP (with a per-request nonce) and the usual headers; HTTPS only in production.

    docs/operations.md, "Security headers", says what each header is for.
    """
    production = app.config.get("APP_ENV") == "production"
    Talisman(
        app,
        force_https=production,
        strict_transport_security=production,
        session_cookie_secure=production,
        content_security_policy=CONTENT_SECURITY_POLICY,
        content_security_policy_nonce_in=["script-src"],
        frame_options="DENY",  # as CSP's frame-ancestors 'none': no page in any frame
        # Survey links carry a token: never send it to another site. Same-origin posts keep
        # their Referer, which Flask-WTF's strict CSRF check needs over HTTPS.
        referrer_policy="same-origin",
    )


def render_error(
    code: int, title: str | LazyString | None = None, body: str | LazyString | None = None
) -> tuple[str, int]:
    """Render the plain-language page for HTTP status ``code``: the staff page for staff
    (:func:`for_staff`), the patient page for everyone else."""
    staff = for_staff()
    pages: dict[int, tuple[str, str]] | dict[int, tuple[LazyString, LazyString]] = (
        STAFF_ERROR_PAGES if staff else ERROR_PAGES)
    default_title, default_body = pages.get(code, pages[500])
    html = render_template(
        "errors/staff_error.html" if staff else "errors/error.html",
        title=title or default_title,
        body=body or default_body,
    )
    return html, code


def for_staff() -> bool:
    """Say whether an error page is for staff: in the staff areas, or signed in anywhere.

    A database that cannot load the user makes them "not signed in" for the rest of the
    request (as ``database_unavailable`` does), so the page still renders.
    """
    try:
        signed_in = bool(current_user.is_authenticated)
    except DATABASE_UNAVAILABLE:
        g._login_user = AnonymousUserMixin()
        signed_in = False
    return signed_in or request.path.startswith(STAFF_AREAS)


def register_error_pages(app: Flask) -> None:
    """Show an NHS-styled page for every HTTP error; never a stack trace.

    Unhandled exceptions reach the 500 page as Flask's ``InternalServerError`` (an
    ``HTTPException``) after Flask has logged them.
    """

    def http_error(error: HTTPException) -> tuple[str, int]:
        return render_error(error.code or 500)  # codes without their own text: the 500 text

    def csrf_error(_error: CSRFError) -> tuple[str, int]:
        return render_error(400, _l("Sorry, this page timed out"))

    app.register_error_handler(CSRFError, csrf_error)
    for unavailable in DATABASE_UNAVAILABLE:
        app.register_error_handler(unavailable, database_unavailable)
    app.register_error_handler(HTTPException, http_error)


def database_unavailable(error: Exception) -> tuple[str, int, dict[str, str]]:
    """Answer 503 with ``Retry-After`` and the NHS page, touching the database no more.

    The page is rendered as for someone not signed in, so the template does not try to
    load the staff user; the pool's pre-ping reconnects by itself once the database is back.
    """
    from survey_app.extensions import db

    current_app.logger.warning("Database unavailable: %s", type(error).__name__)
    with contextlib.suppress(*DATABASE_UNAVAILABLE):
        db.session.rollback()
    g._login_user = AnonymousUserMixin()  # Flask-Login's per-request user
    html, code = render_error(503)
    return html, code, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def select_locale() -> str:
    """Pick the page language: ``?lang=`` if we have it, else the browser's preference."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES) or LANGUAGES[0]
