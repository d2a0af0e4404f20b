"""The security headers of every answer under /admin, set in one place (the app's
`before_send` hook), so pages, htmx fragments, error pages and the CSRF refusal all carry them.

- Content-Security-Policy: scripts, styles, images and fonts from this site only, no inline
  script or style, no plugins, no `<base>`, forms posting only here, never framed. Even if a
  value a caller typed got through the templates' escaping it could not run.
- X-Frame-Options DENY: the same for browsers without frame-ancestors (clickjacking).
- X-Content-Type-Options nosniff: an answer is only what its Content-Type says.
- Referrer-Policy no-referrer: no address (a one-time sign-in link's code) leaks to another site.
- Cache-Control no-store on everything but the static files: pages hold customers' personal
  data and must not stay in a shared or back-button cache after signing out.
"""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
ALWAYS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
STATIC_PREFIX = "/admin/static/"


def _is_admin(path: str) -> bool:
    return path == "/admin" or path.startswith("/admin/")


async def admin_security_headers(message: Message, scope: Scope) -> None:
    """The app's `before_send` hook: the headers above on the start of every HTTP answer
    under /admin. A hook on the app, not a middleware on the router, because the answers to
    errors raised in the router's middleware (the CSRF refusal) are sent from outside it."""
    if message["type"] != "http.response.start" or not _is_admin(scope.get("path", "")):
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in ALWAYS.items():
        headers[name] = value
    if not scope["path"].startswith(STATIC_PREFIX):
        headers["Cache-Control"] = "no-store"
