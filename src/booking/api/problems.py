"""The one map from exceptions to RFC 9457 problem details.

422 names every field that failed validation, 400 is only for a body that does not parse,
404 covers unknown ids and ids of another business, 409 a conflict with what is stored.
"""

from __future__ import annotations

import re
from http import HTTPStatus
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
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_422_UNPROCESSABLE_ENTITY,
)
from pydantic import BaseModel

from booking import errors
from booking.logging import get_logger
from booking.services.stranding import WouldStrand

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
    if isinstance(exc, errors.InvalidFields):
        extra["errors"] = [{"field": field, "message": why} for field, why in exc.problems]
    elif isinstance(exc, errors.InvalidInput):
        extra["errors"] = [{"field": exc.field, "message": exc.reason}]
    if isinstance(exc, errors.DuplicateCustomer):
        extra["customer_id"] = exc.customer_id
    if isinstance(exc, WouldStrand):
        extra["affected"] = [a.as_dict() for a in exc.affected]
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
    key = str(error.get("key") or "")
    return "body" if key in ("", "data") else key


# pydantic's wording for some failures, in the plain words the rest of the API uses.
_PLAIN_MESSAGES = {
    "Extra inputs are not permitted": "is not a field of this body; check its spelling",
    "Field required": "is required",
}


def _message_of(error: dict[str, Any]) -> str:
    text = str(error.get("message", "")).removeprefix("Value error, ")
    return _PLAIN_MESSAGES.get(text, text)


def invalid_fields(problems: list[dict[str, str]]) -> ProblemDetailsException:
    """422 naming every refused field at once, each with its reason."""
    names = ", ".join(dict.fromkeys(p["field"] for p in problems))
    return ProblemDetailsException(
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        title="Invalid input",
        detail=f"invalid value for {names}",
        type_=TYPE_BASE + "invalid_input",
        extra={"code": "invalid_input", "errors": problems},
    )


_MISSING = re.compile(r"^Missing required (\w+) parameter '([^']+)'")


def validation_to_problem(exc: ValidationException) -> ProblemDetailsException:
    """Field errors and missing parameters become 422 naming each field; a body that does not
    parse stays 400."""
    missing = _MISSING.match(str(exc.detail))
    if missing:
        where, name = missing.groups()
        return invalid_fields([{"field": name, "message": f"is a required {where} parameter"}])
    raw = exc.extra if isinstance(exc.extra, list) else []
    fields = [e for e in raw if isinstance(e, dict) and e.get("key")]
    if not fields:
        return _status_problem(HTTP_400_BAD_REQUEST, str(exc.detail))
    return invalid_fields([{"field": _field_of(e), "message": _message_of(e)} for e in fields])


def _plain_detail(exc: HTTPException) -> str:
    """Litestar's own details are the status phrase ("Not Found"); ours say what happened."""
    detail = str(exc.detail)
    if detail != HTTPStatus(exc.status_code).phrase:
        return detail
    if exc.status_code == HTTP_405_METHOD_NOT_ALLOWED:
        allowed = (exc.headers or {}).get("allow", "")
        refusal = "this route does not answer that method"
        return f"{refusal}; it answers {allowed}" if allowed else refusal
    return _PLAIN_DETAILS.get(exc.status_code, detail)


def _status_problem(
    status: int, detail: str, headers: dict[str, str] | None = None
) -> ProblemDetailsException:
    slug = _SLUGS.get(status, "error")
    return ProblemDetailsException(
        status_code=status,
        title=_TITLES.get(status, "Error"),
        detail=detail,
        type_=TYPE_BASE + slug,
        extra={"code": slug},
        headers=headers,
    )


def http_to_problem(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, ValidationException):
        return validation_to_problem(exc)
    return _status_problem(exc.status_code, _plain_detail(exc), exc.headers)


def too_deep_to_problem(exc: RecursionError) -> ProblemDetailsException:
    """A body nested too deep for the parser is a body that does not parse."""
    return _status_problem(HTTP_400_BAD_REQUEST, "the body is nested too deeply to read")


def unexpected_to_problem(exc: Exception) -> ProblemDetailsException:
    """A failure nobody planned for: logged with its traceback, answered with a problem body
    that reveals nothing of it."""
    log.error("unhandled error answering a request", exc_info=exc)
    return _status_problem(500, "something went wrong on our side; it has been logged")


_TITLES = {
    400: "Malformed request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    413: "Request body too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
# The last part of each status's `type` URI, and its `code`.
_SLUGS = {
    400: "malformed",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    500: "internal",
    503: "unavailable",
}
_PLAIN_DETAILS = {
    404: "no route answers this path; the API's routes are listed at /schema/swagger",
    413: "the request body is larger than this server accepts",
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


class AffectedAppointment(BaseModel):
    """A future appointment a schedule change would leave outside the schedule."""

    id: int
    customer_first_name: str | None
    appointment_date: str
    appointment_time: str
    staff_id: int
    staff_name: str
    why: str


class ProblemDetail(BaseModel):
    """An RFC 9457 problem (`application/problem+json`), the body of every error answer."""

    type: str
    title: str
    status: int
    detail: str
    code: str | None = None
    errors: list[FieldProblem] | None = None
    customer_id: int | None = None
    affected: list[AffectedAppointment] | None = None  # a schedule change that would strand


_DESCRIPTIONS = {
    400: "The request does not parse (a malformed body or parameter)",
    401: "No bearer token, or an unknown or revoked one",
    403: "Only an owner token may do this; this is a staff token",
    404: "No such resource in this business",
    409: "Conflicts with what is stored (a taken slot, a duplicate, too late)",
    413: "The request body is too large",
    415: "The body is not JSON (send Content-Type: application/json)",
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
                statuses |= {409, 413, 415}
            declared = dict(handler.responses or {})
            handler.responses = {
                **{s: _problem(s) for s in sorted(statuses) if s not in declared},
                **declared,
            }
