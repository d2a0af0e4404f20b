"""Rendering a page: the template plus what every page's frame needs (the navigation bar drawn
from the registered pages, who is signed in, the current path)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template
from litestar.template.config import TemplateConfig

from booking.services.admin_sessions import SignedIn
from booking.services.phones import readable_phone
from booking.web.failures import plain_failure
from booking.web.nav import NavEntry

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def signed_in_or_none(connection: ASGIConnection[Any, Any, Any, Any]) -> SignedIn | None:
    """The session `require_session` admitted, or None on a public page (sign-in, errors)."""
    value = getattr(connection.state, "admin", None)
    return value if isinstance(value, SignedIn) else None


def nav_for(connection: ASGIConnection[Any, Any, Any, Any]) -> list[NavEntry]:
    """The bar's entries this session may follow (none before signing in)."""
    me = signed_in_or_none(connection)
    if me is None:
        return []
    handler = connection.scope.get("route_handler")
    entries: tuple[NavEntry, ...] = handler.opt.get("nav", ()) if handler is not None else ()
    return [e for e in entries if me.is_owner or not e.owner_only]


def is_htmx(request: Request[Any, Any, Any]) -> bool:
    return bool(request.headers.get("hx-request"))


def page(
    request: Request[Any, Any, Any], template: str, *, status_code: int = 200, **context: Any
) -> Template:
    """A whole page (extending base.html) with the frame's context."""
    frame = {"nav": nav_for(request), "me": signed_in_or_none(request), "path": request.url.path}
    return Template(template_name=template, context={**frame, **context}, status_code=status_code)


def fragment(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    push_url: str | None = None,
    **context: Any,
) -> Template:
    """A piece of a page for an htmx swap (no frame); `push_url` updates the address bar."""
    frame = {"me": signed_in_or_none(request), "path": request.url.path}
    if isinstance(request, HTMXRequest) and push_url is not None:
        return HTMXTemplate(
            template_name=template,
            context={**frame, **context},
            status_code=status_code,
            push_url=push_url,
        )
    return Template(template_name=template, context={**frame, **context}, status_code=status_code)


def local_time(instant: datetime, zone: ZoneInfo, layout: str = "%H:%M") -> str:
    """An instant as the business's wall clock reads it (the `hm` filter)."""
    return instant.astimezone(zone).strftime(layout)


def place(zone: ZoneInfo) -> str:
    """The place a time zone is named after, as a person says it: "America/New_York" is
    "New York" (the `place` filter); a zone named after no place keeps its name."""
    return zone.key.rsplit("/", 1)[-1].replace("_", " ")


def _configure(engine: JinjaTemplateEngine) -> None:
    environment: Environment = engine.engine
    environment.trim_blocks = True
    environment.lstrip_blocks = True
    environment.filters["hm"] = local_time
    environment.filters["place"] = place
    environment.filters["phone"] = readable_phone  # E.164 as a person writes it
    environment.filters["failure"] = plain_failure  # a delivery's stored error, in words


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    """The app's templates: the web page's own folder, Jinja with autoescaping."""
    return TemplateConfig(
        directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=_configure
    )
