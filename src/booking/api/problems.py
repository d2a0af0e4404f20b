"""The one map from exceptions to RFC 9457 problem details.

422 names every field that failed validation, 400 is only for a body that does not parse,
404 covers unknown ids and ids of another business, 409 a conflict with what is stored.
"""

from __future__ import annotations

from typing import Any

from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.plugins import ReceiveRoutePlugin
from litestar.plugins.problem_details import (
    ProblemDetailsConfig,
    ProblemDetailsException,
    ProblemDetailsPlugin,
)
from litestar.routes import BaseRoute, HTTPRoute
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_422_UNPROCESSABLE_ENTITY
from pydantic import BaseModel

from booking import errors
from booking.logging import get_logger

log = get_logger(__name__)

TYPE_BASE = "https://booking.invalid/problems/"

_STATUS: list[tuple[type[errors.BookingError], int, str]] = [
    (errors.NotFound, 404, "Not found"),
    (errors.OutsideHours, 422, "Outside working hours"),
    (errors.InvalidInput, 422, "Invalid input"),
    (errors.SlotUnavailable, 409, "Slot unavailable"),
    (errors.DuplicateCustomer, 409, "Customer already exists"),
    (errors.TooLateToCancel, 409, "Too late"),
    (errors.Conflict, 409, "Conflict"),
    (errors.IdempotencyConflict, 422, "Idempotency key reused"),
    (errors.NotAllowed, 403, "Not allowed"),
    (errors.Unavailable, 503, "Service unavailable"),
]


def booking_error_to_problem(exc: errors.BookingError) -> ProblemDetailsException:
    status, title = 500, "Error"
    for kind, code, heading in _STATUS:
        if isinstance(exc, kind):
            status, title = code, heading
            break
    extra: dict[str, Any] = {"code": exc.code}
    if isinstance(exc, errors.InvalidInput):
        extra["errors"] = [{"field": exc.field, "message": exc.reason}]
    if isinstance(exc, errors.DuplicateCustomer):
        extra["customer_id"] = exc.customer_id
    headers = {"Retry-After": "2"} if isinstance(exc, errors.Unavailable) else None
    return ProblemDetailsException(
        status_code=status,
        title=title,
        detail=exc.message,
        type_=TYPE_BASE + exc.code,
        extra=extra,
        headers=headers,
    )


def _field_of(error: dict[str, Any]) -> str:
    key = error.get("key")
    return str(key) if key else str(error.get("source", "body"))


def validation_to_problem(exc: ValidationException) -> ProblemDetailsException:
    """Field errors become 422 naming each field; a body that does not parse stays 400."""
    raw = exc.extra if isinstance(exc.extra, list) else []
    fields = [e for e in raw if isinstance(e, dict) and e.get("key")]
    if not fields:
        return ProblemDetailsException(
            status_code=HTTP_400_BAD_REQUEST,
            title="Malformed request",
            detail=str(exc.detail),
            type_=TYPE_BASE + "malformed",
        )
    problems = [{"field": _field_of(e), "message": str(e.get("message", ""))} for e in fields]
    names = ", ".join(p["field"] for p in problems)
    return ProblemDetailsException(
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        title="Invalid input",
        detail=f"invalid value for {names}",
        type_=TYPE_BASE + "invalid_input",
        extra={"code": "invalid_input", "errors": problems},
    )


def http_to_problem(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ValidationException):
        return validation_to_problem(exc)
    return ProblemDetailsException(
        status_code=exc.status_code,
        title=_TITLES.get(exc.status_code, "Error"),
        detail=str(exc.detail),
        headers=exc.headers,
    )


def too_deep_to_problem(exc: RecursionError) -> ProblemDetailsException:
    """A body nested too deep for the parser is a body that does not parse."""
    return ProblemDetailsException(
        status_code=HTTP_400_BAD_REQUEST,
        title="Malformed request",
        detail="the body is nested too deeply to read",
        type_=TYPE_BASE + "malformed",
    )


def unexpected_to_problem(exc: Exception) -> ProblemDetailsException:
    """A failure nobody planned for: logged with its traceback, answered with a problem body
    that reveals nothing of it."""
    log.error("unhandled error answering a request", exc_info=exc)
    return ProblemDetailsException(
        status_code=500,
        title="Internal server error",
        detail="something went wrong on our side; it has been logged",
        type_=TYPE_BASE + "internal",
    )


_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                errors.BookingError: booking_error_to_problem,
                HTTPException: http_to_problem,
                ValidationException: validation_to_problem,
                RecursionError: too_deep_to_problem,
                Exception: unexpected_to_problem,
            }
        )
    )


class FieldProblem(BaseModel):
    field: str
    message: str


class ProblemDetail(BaseModel):
    """An RFC 9457 problem (`application/problem+json`), the body of every error answer."""

    status: int
    title: str
    detail: str
    type: str | None = None
    code: str | None = None
    errors: list[FieldProblem] | None = None
    customer_id: int | None = None


_DESCRIPTIONS = {
    400: "The request does not parse (a malformed body or parameter)",
    401: "No bearer token, or an unknown or revoked one",
    403: "Only an owner token may do this; this is a staff token",
    404: "No such resource in this business",
    409: "Conflicts with what is stored (a taken slot, a duplicate, too late)",
    413: "The request body is too large",
    422: "A field is invalid; `errors` names each one",
    429: "Too many failed attempts to authenticate",
    503: "The database is unavailable; retry shortly",
}
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


def _problem(status: int) -> ResponseSpec:
    return ResponseSpec(
        data_container=ProblemDetail,
        description=_DESCRIPTIONS[status],
        media_type="application/problem+json",
        generate_examples=False,
    )


class ProblemResponses(ReceiveRoutePlugin):
    """Writes into the OpenAPI document the problem details each route can answer with.

    Litestar would document only a 400 of its own shape; our errors are problem details with
    the statuses of the module docstring, plus 401/429 from the token guard on `/api` and 403
    from the owner guard on the routes that have it.
    """

    def __init__(self, guard: object, owner_guard: object) -> None:
        self._guard = guard
        self._owner_guard = owner_guard

    def receive_route(self, route: BaseRoute) -> None:
        if not isinstance(route, HTTPRoute):
            return
        for handler in route.route_handlers:
            guards = handler.resolve_guards()
            if self._guard in guards:
                statuses = {400, 401, 404, 422, 429, 503}
                if self._owner_guard in guards:
                    statuses.add(403)
            elif route.path_parameters:  # the open calendar feed: a wrong id or key is 404
                statuses = {400, 404, 422, 503}
            else:  # /health and /metrics document their own answers
                continue
            if handler.http_methods & _WRITES:
                statuses |= {409, 413}
            declared = dict(handler.responses or {})
            handler.responses = {
                **{s: _problem(s) for s in sorted(statuses) if s not in declared},
                **declared,
            }
