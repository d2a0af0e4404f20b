"""Signing in and out of the owner's web page, and the guard every page sits behind.

An admin token (or a one-time link from `booking admin-link`) is exchanged for a session whose
secret lives in an HttpOnly cookie (Secure over https, SameSite=Lax); the session is checked in
the database on every request, so sign-out, expiry and a revoked token end it in every process.
Failed sign-ins count against the API's failed-authentication throttle.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect, Template

from booking.api.state import database, now
from booking.api.throttle import FailedAuthThrottle
from booking.errors import NotAllowed
from booking.services import admin_sessions
from booking.services.admin_sessions import SignedIn
from booking.web.errors import SignInRequired
from booking.web.forms import read_form
from booking.web.render import page

COOKIE = "booking_session"
PUBLIC = {"public": True}  # a handler's opt: reachable without a session


class OwnerOnly(NotAllowed):
    code = "owner_required"

    def __init__(self) -> None:
        super().__init__("only the owner may do this; you signed in with a staff token")


async def require_session(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Admit a live session (handlers marked public excepted); its business becomes the
    request's, as a token's does on the API."""
    if handler.opt.get("public"):
        return
    secret = connection.cookies.get(COOKIE, "")
    me = (
        await admin_sessions.identify(database(connection), secret, now(connection))
        if secret
        else None
    )
    if me is None:
        raise SignInRequired()
    connection.state.admin = me
    connection.state.business_id = me.business_id


async def require_owner(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """After `require_session`: owner-only pages and actions, the API's `require_owner` rule."""
    if not signed_in(connection).is_owner:
        raise OwnerOnly()


def signed_in(connection: ASGIConnection[Any, Any, Any, Any]) -> SignedIn:
    """Who is signed in (after `require_session`)."""
    me: SignedIn = connection.state.admin
    return me


def current_business(connection: ASGIConnection[Any, Any, Any, Any]) -> int:
    """The id of the session's business: every id in a URL is looked up within it."""
    return signed_in(connection).business_id


def _is_https(request: Request[Any, Any, Any]) -> bool:
    # uvicorn sets the scheme from X-Forwarded-Proto only for TRUSTED_PROXIES, as for the API.
    return request.url.scheme == "https"


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _safe_next(target: str | None) -> str:
    """Only a path of this page: never another site (`//host`, `https:`)."""
    if (
        target
        and target.startswith("/admin")
        and not target.startswith("//")
        and "\\" not in target
    ):
        return target
    return "/admin"


async def _signed_in_response(
    request: Request[Any, Any, Any], secret: str, target: str
) -> Response[Any]:
    """Redirect with the new session's cookie; a session the browser held before ends now."""
    previous = request.cookies.get(COOKIE)
    if previous:
        await admin_sessions.close(database(request), previous)
    response: Response[Any] = Redirect(_safe_next(target), status_code=303)
    response.set_cookie(
        key=COOKIE,
        value=secret,
        max_age=int(admin_sessions.LIFETIME.total_seconds()),
        path="/admin",
        secure=_is_https(request),
        httponly=True,
        samesite="lax",
    )
    return response


def _refused(
    request: Request[Any, Any, Any], template: str, errors: dict[str, str], **context: Any
) -> Template:
    """A failed attempt: counted against the client; past the throttle's limit, 429."""
    throttle: FailedAuthThrottle = request.app.state.auth_throttle
    wait = throttle.blocked_for(_client(request))
    throttle.record_failure(_client(request))
    if wait:
        errors = {"form": "Too many failed attempts from here; wait a minute and try again."}
        response = page(request, template, status_code=429, errors=errors, **context)
        response.headers["Retry-After"] = str(int(wait))
        return response
    return page(request, template, status_code=401, errors=errors, **context)


class SessionController(Controller):
    """/admin/sign-in (token), /admin/link/{code} (one-time link), /admin/sign-out."""

    path = "/"

    @get("/sign-in", opt=PUBLIC)
    async def sign_in_form(
        self,
        request: Request[Any, Any, Any],
        next: str | None = None,
        signed_out: str | None = None,
    ) -> Template:
        """`signed_out=everywhere`: the owner just ended every session, this one included."""
        return page(
            request,
            "sign_in.html",
            errors={},
            next=_safe_next(next),
            everywhere=signed_out == "everywhere",
        )

    @post("/sign-in", opt=PUBLIC)
    async def sign_in(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await read_form(request)
        token = form.get("token", "").strip()
        target = _safe_next(form.get("next"))
        if not token:
            return page(
                request,
                "sign_in.html",
                status_code=422,
                errors={"token": "enter your admin token (it starts with bk_)"},
                next=target,
            )
        opened = await admin_sessions.open_with_token(database(request), token, now(request))
        if opened is None:
            errors = {"token": "this token is unknown or has been revoked"}
            return _refused(request, "sign_in.html", errors, next=target)
        return await _signed_in_response(request, opened.secret, target)

    @get("/link/{code:str}", opt=PUBLIC)
    async def link_form(self, request: Request[Any, Any, Any], code: str) -> Template:
        """The link only shows a button: a link preview or a mail scanner fetching it does
        not spend it."""
        return page(request, "sign_in_link.html", errors={}, code=code)

    @post("/link/{code:str}", opt=PUBLIC)
    async def sign_in_with_link(self, request: Request[Any, Any, Any], code: str) -> Response[Any]:
        opened = await admin_sessions.open_with_link(database(request), code, now(request))
        if opened is None:
            errors = {
                "form": "This sign-in link has been used or has expired. "
                "On the server, run booking admin-link for a new one, or sign in with your "
                "admin token."
            }
            return _refused(request, "sign_in_link.html", errors, code=code)
        return await _signed_in_response(request, opened.secret, "/admin")

    @post("/sign-out")
    async def sign_out(self, request: Request[Any, Any, Any]) -> Response[Any]:
        await admin_sessions.close(database(request), request.cookies.get(COOKIE, ""))
        response: Response[Any] = Redirect("/admin/sign-in", status_code=303)
        response.delete_cookie(COOKIE, path="/admin")
        return response
