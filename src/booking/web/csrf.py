"""CSRF protection of every form under /admin: Litestar's own CSRFMiddleware, with its signing
key kept in the database (made on first use) so every process accepts every other's tokens.

The key is read once per process, on the first request. The cookie is HttpOnly (the page puts
the token in each form and in htmx's request header itself) and Secure over https.
"""

from __future__ import annotations

from litestar.config.csrf import CSRFConfig
from litestar.enums import ScopeType
from litestar.middleware.csrf import CSRFMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from booking.db import Database
from booking.services.app_secrets import CSRF_SECRET, shared_secret

COOKIE = "booking_csrf"
HEADER = "x-csrftoken"


class AdminCsrf:
    """ASGI middleware for the /admin router only (the bearer-token API has no cookies)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._by_scheme: dict[bool, CSRFMiddleware] = {}

    async def _checker(self, scope: Scope) -> CSRFMiddleware:
        secure = scope.get("scheme") == "https"
        checker = self._by_scheme.get(secure)
        if checker is None:
            db: Database = scope["litestar_app"].state.db
            secret = await shared_secret(db, CSRF_SECRET)
            config = CSRFConfig(
                secret=secret,
                cookie_name=COOKIE,
                cookie_path="/admin",
                header_name=HEADER,
                cookie_secure=secure,
                cookie_httponly=True,
                cookie_samesite="lax",
            )
            checker = self._by_scheme[secure] = CSRFMiddleware(self.app, config)
        return checker

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return
        checker = await self._checker(scope)
        await checker(scope, receive, send)
