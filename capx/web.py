"""What every request shares: who is asking, the language, the theme, security headers, errors."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, g, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map, ValidationError

from capx import translations
from capx.access import current_user, load_user
from capx.extensions import db
from capx.language import available_languages, current_language, msg, msg_lang_attrs, msg_text
from capx.navigation import PERSONAL_ITEMS, STAFF_ITEMS, nav_links
from capx.support import scope
from capx.support.values import LARGEST_ID

log = logging.getLogger(__name__)

THEME_COOKIE = "capx_theme"
THEMES = ("auto", "light", "dark")
#: Each theme with its label's message key (written out, so no template builds a key).
THEME_CHOICES = (("auto", "theme-auto"), ("light", "theme-light"), ("dark", "theme-dark"))
RETRY_AFTER_SECONDS = 30

#: Images come from Wikimedia Commons (avatars, logos, photos); nothing else leaves the site.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: https://commons.wikimedia.org https://upload.wikimedia.org",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
])

#: Endpoints that never ask the database, not even who is logged in: the stylesheet, scripts and
#: images must arrive while the database is down, or the 503 page arrives unstyled.
DATABASE_FREE_ENDPOINTS = frozenset({"static"})

DATABASE_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError, sa_exc.DisconnectionError)


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` for every route: a number no row can have does not match the route (404).

    Werkzeug's own converter accepts any number of digits, and a number beyond 64 bits reached the
    query, where the database driver refused it (``OverflowError`` on SQLite): a 500 instead of
    "no such page". Refusing it here covers every route, present and future, at once.
    """

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002 - werkzeug's names
                 max: int | None = None, signed: bool = False) -> None:  # noqa: A002
        largest = LARGEST_ID if max is None or max > LARGEST_ID else max
        super().__init__(map, fixed_digits, min, largest, signed)

    def to_python(self, value: str) -> Any:
        if len(value.lstrip("-")) > len(str(LARGEST_ID)):
            raise ValidationError()  # never turn a thousand digits into a number
        return super().to_python(value)


def picture_response(content_type: str, data: bytes) -> Response:
    """A stored copy of a picture from outside Commons (a badge's, an event's course picture), as
    CapX serves it: its checked type, never sniffed, never run as a document, cached a day."""
    return Response(data, mimetype=content_type, headers={
        "Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox", "Content-Disposition": "inline"})


def current_theme() -> str:
    """The colour theme the visitor chose (a cookie), 'auto' follows the system."""
    theme = request.cookies.get(THEME_COOKIE, "auto")
    return theme if theme in THEMES else "auto"


def init_app(app: Flask) -> None:
    """Install the id converter, request hooks, template globals, security headers and error pages.

    Called before the blueprints are registered: a rule takes its converter when it is added.
    """
    app.url_map.converters["int"] = DatabaseIdConverter

    @app.before_request
    def open_scope() -> None:
        # Values kept for this request only (cache stamps, the organization list of its pickers):
        # services ask capx.support.scope for them and never read flask.g.
        g.capx_scope_token = scope.open_scope()

    @app.teardown_request
    def close_scope(_error: BaseException | None) -> None:
        token = g.pop("capx_scope_token", None)
        if token is not None:
            scope.close_scope(token)

    @app.before_request
    def identify_visitor() -> None:
        g.user = None
        g.lang = None  # chosen lazily, after the user is known
        if request.endpoint in DATABASE_FREE_ENDPOINTS:
            return
        g.user = load_user()

    # Globals (not only context variables) so that macros imported without context can use them.
    app.jinja_env.globals.update(msg=msg, msg_text=msg_text, msg_lang_attrs=msg_lang_attrs)

    @app.context_processor
    def template_globals() -> dict[str, Any]:
        lang = current_language()
        user = current_user()
        return {
            "msg": msg,
            "msg_text": msg_text,
            "current_user": user,
            "nav_links": nav_links(user is not None),
            "personal_links": nav_links(user is not None, PERSONAL_ITEMS),
            "staff_links": nav_links(True, STAFF_ITEMS, staff=bool(user and user.is_staff)),
            "page_lang": lang if lang != translations.KEYS_LANGUAGE else "en",
            "page_dir": translations.text_direction(lang),
            "ui_lang": lang,
            "ui_lang_autonym": translations.language_autonym(lang),
            "ui_languages": [(code, translations.language_autonym(code)) for code in available_languages()],
            "theme": current_theme(),
            "themes": THEME_CHOICES,
            # Same rule as the login itself: never in production, so the banner never lies.
            "dev_login_enabled": bool(app.config.get("CAPX_DEV_LOGIN")) and app.config.get("CAPX_ENV") != "production",
            "source_url": app.config.get("CAPX_SOURCE_URL"),
            "user_guide_url": app.config.get("CAPX_USER_GUIDE_URL"),
            "translatewiki_url": app.config.get("CAPX_TRANSLATEWIKI_URL"),
        }

    @app.teardown_appcontext
    def release_session(_error: BaseException | None) -> None:
        # Runs before Flask-SQLAlchemy's own teardown (teardowns run in reverse order). When the
        # database went away mid-request, the rollback in session.remove() fails too; the
        # response is already made, so drop the dead connection instead of turning it into a 500.
        try:
            db.session.remove()
        except DATABASE_DOWN as exc:
            log.warning("database connection lost at the end of a request: %s", exc)
            try:
                db.session.registry().invalidate()
            except Exception as inner:  # noqa: BLE001 - the connection is gone either way
                log.debug("invalidating the lost connection failed too: %s", inner)
            db.session.registry.clear()

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if app.config.get("CAPX_ENV") == "production":
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if response.mimetype == "text/html":
            # Pages depend on who is logged in and on the language: never shared by caches.
            response.vary.update(["Cookie", "Accept-Language"])
            headers.setdefault("Cache-Control", "private, no-cache")
        return response

    def error_page(status: int, template: str, **context: Any) -> tuple[str, int]:
        return render_template(template, status=status, **context), status

    @app.errorhandler(CSRFError)
    def csrf_failed(error: CSRFError) -> tuple[str, int]:
        # Show the user what they sent and let them send it again with a fresh token: nothing
        # typed is lost, and nothing is sent without a deliberate click.
        fields = [(k, v) for k, v in request.form.items(multi=True) if k != "csrf_token"]
        return error_page(400, "errors/csrf.html", fields=fields, action=request.path)

    @app.errorhandler(403)
    def forbidden(_error: HTTPException) -> tuple[str, int]:
        return error_page(403, "errors/403.html")

    @app.errorhandler(404)
    def not_found(_error: HTTPException) -> tuple[str, int]:
        return error_page(404, "errors/404.html")

    @app.errorhandler(405)
    def method_not_allowed(_error: HTTPException) -> tuple[str, int]:
        return error_page(405, "errors/405.html")

    def database_down(error: Exception) -> tuple[str, int, dict[str, str]]:
        log.warning("database unavailable: %s", error)
        try:
            db.session.rollback()
        except Exception:  # noqa: BLE001 # nosec B110 # the connection is gone; nothing to roll back
            pass
        db.session.remove()
        g.user = None
        body = render_template("errors/503.html", status=503)
        return body, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}

    for exc_class in DATABASE_DOWN:
        app.register_error_handler(exc_class, database_down)

    @app.errorhandler(500)
    def server_error(error: Exception) -> tuple[str, int]:
        original = getattr(error, "original_exception", None)
        if isinstance(original, DATABASE_DOWN):
            body, status, headers = database_down(original)
            return Response(body, status, headers)  # type: ignore[return-value]
        db.session.rollback()
        g.user = getattr(g, "user", None)
        return error_page(500, "errors/500.html")
