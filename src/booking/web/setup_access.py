"""Setup, access (owner only, as on the API): admin tokens (a new one's secret is shown once)
beside the page's open sessions, and webhook subscriptions with their deliveries, through
`TokenIn`, `WebhookIn` and the same services as `/api/tokens` and `/api/webhooks`."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from booking.api.state import database, now, outbound_allow_private
from booking.api.tokens import TokenIn
from booking.api.webhooks import WebhookIn
from booking.errors import BookingError, NotFound
from booking.models.token import TokenRole
from booking.services import admin_sessions, tokens, webhooks
from booking.services.businesses import get_business
from booking.services.webhooks import EVENTS
from booking.web.confirm import Confirmation, confirmation_page, is_confirmed
from booking.web.forms import FieldErrors, errors_of, parse, read_form, read_form_lists
from booking.web.listing import when
from booking.web.render import page
from booking.web.session import current_business, require_owner, signed_in

ROLES = [(TokenRole.STAFF.value, "Staff (the front desk)"), (TokenRole.OWNER.value, "Owner")]


class TokenSetup(Controller):
    path = "/setup/tokens"
    guards = [require_owner]  # a staff token that leaks must not mint or revoke tokens

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        return await _tokens_page(request, {"role": TokenRole.STAFF.value}, {})

    @post("/")
    async def issue(self, request: Request[Any, Any, Any]) -> Template:
        """The new token's secret is on this answer only: it is stored hashed."""
        form = await read_form(request)
        body, errors = parse(TokenIn, {"name": form.get("name", ""), "role": form.get("role", "")})
        if body is None:
            return await _tokens_page(request, form, errors, status_code=422)
        try:
            issued = await tokens.create_token(
                database(request), current_business(request), body.name, body.role,
                created_by=signed_in(request).token_id,
            )  # fmt: skip
        except BookingError as exc:
            return await _tokens_page(request, form, errors_of(exc), status_code=422)
        return await _tokens_page(
            request, {"role": TokenRole.STAFF.value}, {}, status_code=201,
            issued={"name": body.name, "role": body.role.value, "secret": issued.secret},
        )  # fmt: skip

    @post("/{token_id:int}/revoke")
    async def revoke(
        self, request: Request[Any, Any, Any], token_id: int
    ) -> Template | Response[Any]:
        """Refused at once everywhere, sessions opened with it included; the last live owner
        token cannot be revoked (the service's rule). Asks first (`web.confirm`)."""
        if not await is_confirmed(request):
            found = await tokens.list_tokens(database(request), current_business(request))
            token = next((t for t in found if t.id == token_id), None)
            if token is None:
                raise NotFound("token", token_id)
            return confirmation_page(request, Confirmation(
                question=f"Revoke the token “{token.name}”?",
                action=f"/admin/setup/tokens/{token_id}/revoke",
                button=f"Revoke “{token.name}”", back="/admin/setup/tokens", keep="Keep it",
                consequences=[
                    "Whatever uses it (a tablet, a script, the API) is refused from now on.",
                    "Every session of this page opened with it ends.",
                    "It cannot be turned back on: issue a new token instead.",
                ],
            ))  # fmt: skip
        try:
            await tokens.revoke_token(database(request), current_business(request), token_id)
        except BookingError as exc:
            if exc.code == "not_found":
                raise
            return await _tokens_page(
                request, {"role": TokenRole.STAFF.value}, {}, status_code=409,
                revoke_error=exc.message,
            )  # fmt: skip
        return Redirect("/admin/setup/tokens", status_code=303)


async def _tokens_page(
    request: Request[Any, Any, Any],
    values: dict[str, str],
    errors: FieldErrors,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    db, owner = database(request), current_business(request)
    zone = (await get_business(db, owner)).zone
    found = await tokens.list_tokens(db, owner)
    me = signed_in(request)
    live = await admin_sessions.list_live(db, owner, now(request))
    return page(
        request, "setup_tokens.html", status_code=status_code, title="Setup: tokens",
        tokens=[
            {"t": t, "created": when(t.created_at, zone), "revoked": when(t.revoked_at, zone)}
            for t in found
        ],
        sessions=[
            {"s": s, "created": when(s.created_at, zone), "seen": when(s.last_seen_at, zone),
             "this": s.id == me.session_id}
            for s in live
        ],
        roles=ROLES, values=values, errors=errors, **context,
    )  # fmt: skip


class WebhookSetup(Controller):
    path = "/setup/webhooks"
    guards = [require_owner]  # where the business's data is sent

    @get("/")
    async def show(self, request: Request[Any, Any, Any]) -> Template:
        return await _webhooks_page(request, {"events": list(EVENTS)}, {})

    @post("/")
    async def subscribe(self, request: Request[Any, Any, Any]) -> Template:
        """The subscription's signing secret is on this answer only."""
        form = await read_form_lists(request)
        raw = {"url": (form.get("url") or [""])[-1], "events": form.get("events", [])}
        body, errors = parse(WebhookIn, raw)
        if body is None:
            return await _webhooks_page(request, raw, errors, status_code=422)
        try:
            created = await webhooks.create_subscription(
                database(request), current_business(request), body.url, body.events,
                allow_private=outbound_allow_private(request),
            )  # fmt: skip
        except BookingError as exc:
            return await _webhooks_page(request, raw, errors_of(exc), status_code=422)
        return await _webhooks_page(
            request, {"events": list(EVENTS)}, {}, status_code=201, created=created
        )

    @post("/{webhook_id:int}/delete")
    async def unsubscribe(
        self, request: Request[Any, Any, Any], webhook_id: int
    ) -> Template | Response[Any]:
        """Asks first (`web.confirm`); then the subscription and its deliveries are gone."""
        if not await is_confirmed(request):
            found = await webhooks.list_subscriptions(database(request), current_business(request))
            hook = next((s for s in found if s.id == webhook_id), None)
            if hook is None:
                raise NotFound("webhook", webhook_id)
            return confirmation_page(request, Confirmation(
                question=f"Unsubscribe {hook.url}?",
                action=f"/admin/setup/webhooks/{webhook_id}/delete",
                button="Unsubscribe", back="/admin/setup/webhooks", keep="Keep it",
                consequences=[
                    "No more events are sent to it, those waiting to be sent included.",
                    "Its delivery history is removed.",
                    "Subscribing again gives a new signing secret.",
                ],
            ))  # fmt: skip
        await webhooks.delete_subscription(database(request), current_business(request), webhook_id)
        return Redirect("/admin/setup/webhooks", status_code=303)

    @get("/{webhook_id:int}")
    async def deliveries(self, request: Request[Any, Any, Any], webhook_id: int) -> Template:
        """The recent deliveries with every attempt (status, error, time taken)."""
        db, owner = database(request), current_business(request)
        found = await webhooks.list_deliveries(db, owner, webhook_id)
        subscription = next(
            s for s in await webhooks.list_subscriptions(db, owner) if s.id == webhook_id
        )
        zone = (await get_business(db, owner)).zone
        return page(
            request, "setup_deliveries.html", title="Setup: webhook deliveries",
            subscription=subscription,
            deliveries=[
                {"d": d, "created": when(d.created_at, zone),
                 "delivered": when(d.delivered_at, zone), "next": when(d.next_attempt_at, zone),
                 "attempts": [{"a": a, "at": when(a.attempted_at, zone)} for a in d.history]}
                for d in found
            ],
        )  # fmt: skip


async def _webhooks_page(
    request: Request[Any, Any, Any],
    values: dict[str, Any],
    errors: FieldErrors,
    *,
    status_code: int = 200,
    **context: Any,
) -> Template:
    found = await webhooks.list_subscriptions(database(request), current_business(request))
    return page(
        request, "setup_webhooks.html", status_code=status_code, title="Setup: webhooks",
        subscriptions=found, events=EVENTS, values=values, errors=errors, **context,
    )  # fmt: skip
