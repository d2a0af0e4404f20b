"""Setup, access (owner only): sign the web page out everywhere, after a confirmation step.
The only way to end a session opened with a one-time link before it expires: it belongs to no
token to revoke. The same service as `DELETE /api/admin-sessions`."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from booking.api.state import database, now
from booking.services import admin_sessions
from booking.web.forms import read_form
from booking.web.render import page
from booking.web.session import COOKIE, current_business, require_owner


class SessionSetup(Controller):
    path = "/setup/sessions"
    guards = [require_owner]

    @get("/end")
    async def confirm(self, request: Request[Any, Any, Any]) -> Template:
        """The confirmation step: what ending them does, and one button that does it."""
        return await _confirmation(request)

    @post("/end")
    async def end_all(self, request: Request[Any, Any, Any]) -> Template | Response[Any]:
        """Only the confirmation page's button (it sends `confirm=end`) ends them; this
        browser's session ends too, so the answer is the sign-in form."""
        form = await read_form(request)
        if form.get("confirm") != "end":
            return await _confirmation(request)
        await admin_sessions.end_all(database(request), current_business(request), now(request))
        response: Response[Any] = Redirect("/admin/sign-in?signed_out=everywhere", status_code=303)
        response.delete_cookie(COOKIE, path="/admin")
        return response


async def _confirmation(request: Request[Any, Any, Any]) -> Template:
    live = await admin_sessions.list_live(
        database(request), current_business(request), now(request)
    )
    return page(request, "setup_sessions_end.html", title="Sign out everywhere", count=len(live))
