"""Bearer-token guard for every `/api` route: the token names the one business it may see."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, TooManyRequestsException
from litestar.handlers.base import BaseRouteHandler

from booking.api.state import database
from booking.api.throttle import FailedAuthThrottle
from booking.errors import NotFound
from booking.services import tokens

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="booking"'}


async def require_token(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """Admit a live token of some business; too many failures from one address get 429."""
    throttle: FailedAuthThrottle = connection.app.state.auth_throttle
    client = connection.client.host if connection.client else "unknown"
    wait = throttle.blocked_for(client)
    if wait:
        raise TooManyRequestsException(
            "too many failed attempts to authenticate; try again later",
            headers={"Retry-After": str(int(wait))},
        )
    header = connection.headers.get("authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        throttle.record_failure(client)
        raise NotAuthorizedException("a bearer token is required", headers=_CHALLENGE)
    business_id = await tokens.authenticate(database(connection), secret.strip())
    if business_id is None:
        throttle.record_failure(client)
        raise NotAuthorizedException("the token is unknown or revoked", headers=_CHALLENGE)
    connection.state.business_id = business_id


def same_business(token_business_id: int, requested_business_id: int) -> int:
    """A business id in a body must be the token's own; any other is reported as not found."""
    if requested_business_id != token_business_id:
        raise NotFound("business", requested_business_id)
    return token_business_id
