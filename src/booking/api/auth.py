"""Bearer-token guards: every `/api` route needs a live token, which names the one business it
may see; owner-only routes (tokens, webhooks, the business's settings) also need its role."""

from __future__ import annotations

from typing import Any, NoReturn

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler

from booking.api.state import database
from booking.api.throttle import FailedAuthThrottle
from booking.errors import NotAllowed, NotFound
from booking.models.token import TokenRole
from booking.services import tokens

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="booking"'}


class OwnerRequired(NotAllowed):
    """A staff token asked for something only an owner token may do."""

    code = "owner_required"

    def __init__(self) -> None:
        super().__init__(
            "only an owner token may manage tokens, webhooks or the business's settings; "
            "this is a staff token"
        )


def _bearer_secret(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    scheme, _, secret = connection.headers.get("authorization", "").partition(" ")
    return secret.strip() if scheme.lower() == "bearer" else ""


def _refuse(connection: ASGIConnection[Any, Any, Any, Any], reason: str) -> NoReturn:
    """Count a failure against the client's address (the peer, or the client a trusted proxy
    names); past the limit the answer is 429 instead of 401."""
    throttle: FailedAuthThrottle = connection.app.state.auth_throttle
    client = connection.client.host if connection.client else "unknown"
    wait = throttle.blocked_for(client)
    throttle.record_failure(client)
    if wait:
        raise TooManyRequestsException(
            "too many failed attempts to authenticate; try again later",
            headers={"Retry-After": str(int(wait))},
        )
    raise NotAuthorizedException(reason, headers=_CHALLENGE)


async def require_token(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Admit a live token of some business. A valid token is served even from an address that
    failed too often: refusing it would let anyone who can fake or share that address lock the
    admins out, and a 256-bit token is not found by guessing anyway."""
    secret = _bearer_secret(connection)
    if not secret:
        _refuse(connection, "a bearer token is required")
    caller = await tokens.identify(database(connection), secret)
    if caller is None:
        _refuse(connection, "the token is unknown or revoked")
    connection.state.business_id = caller.business_id
    connection.state.caller = caller


def current_caller(connection: ASGIConnection[Any, Any, Any, Any]) -> tokens.Caller:
    """The token `require_token` admitted for this request."""
    caller: tokens.Caller = connection.state.caller
    return caller


async def require_owner(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """After `require_token`: refuse a staff token with 403."""
    if current_caller(connection).role != TokenRole.OWNER:
        raise OwnerRequired()


def same_business(token_business_id: int, requested_business_id: int | None) -> int:
    """The token names the business; a business id in a body (kept for the seed's clients) may
    repeat it, and any other is reported as not found."""
    if requested_business_id is not None and requested_business_id != token_business_id:
        raise NotFound("business", requested_business_id)
    return token_business_id
