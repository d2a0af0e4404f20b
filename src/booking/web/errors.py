"""Errors on the web page: the same map from the one error hierarchy to statuses as the API's
problem details, answered as an HTML page (or, to htmx, a message swapped into the page's
flash area), never a stack trace. A request without a live session goes to the sign-in page."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect
from litestar.types import ExceptionHandlersMap

from booking.api.problems import (
    booking_error_to_problem,
    http_to_problem,
    too_deep_to_problem,
    unexpected_to_problem,
    validation_to_problem,
)
from booking.errors import BookingError
from booking.web.render import fragment, is_htmx, page


class SignInRequired(NotAuthorizedException):
    """No session, or one that has ended (expired, signed out, its token revoked)."""

    def __init__(self) -> None:
        super().__init__("sign in to see this page")


CSRF_REFUSED = "CSRF token verification failed"
_CSRF_MESSAGE = (
    "This form was out of date or did not come from this page. Reload the page and try again."
)
_TITLES = {
    400: "That request could not be read",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    409: "That cannot be done now",
    413: "Too large",
    422: "Please check what you entered",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Busy right now",
}


def _problem(exc: Exception) -> ProblemDetailsException:
    if isinstance(exc, ProblemDetailsException):
        return exc
    if isinstance(exc, BookingError):
        return booking_error_to_problem(exc)
    if isinstance(exc, ValidationException):
        return validation_to_problem(exc)
    if isinstance(exc, HTTPException):
        return http_to_problem(exc)
    if isinstance(exc, RecursionError):
        return too_deep_to_problem(exc)
    return unexpected_to_problem(exc)  # logs the traceback; the page shows none of it


def sign_in_redirect(request: Request[Any, Any, Any]) -> Response[Any]:
    """Back to the sign-in page, coming back here after (a GET page only)."""
    target = "/admin/sign-in"
    if request.method == "GET" and request.url.path != "/admin":
        target += "?next=" + quote(
            request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe=""
        )
    if is_htmx(request):
        return Response(content=b"", status_code=200, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def _sentence(detail: str) -> str:
    """A problem's detail (written to sit beside a field, in lower case) as a sentence of
    its own, as the page shows it."""
    text = detail.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """The one error page of /admin (a fragment for an htmx request)."""
    if isinstance(exc, SignInRequired):
        return sign_in_redirect(request)
    problem = _problem(exc)
    status = problem.status_code
    detail = str(problem.detail)
    if isinstance(exc, PermissionDeniedException) and str(exc.detail) == CSRF_REFUSED:
        detail = _CSRF_MESSAGE
    title = _TITLES.get(status, "Something went wrong")
    headers = dict(problem.headers or {})
    context: dict[str, Any] = {"status": status, "title": title, "message": _sentence(detail)}
    if is_htmx(request):
        headers.update({"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
        response = fragment(request, "_flash.html", status_code=status, **context)
    else:
        response = page(request, "error.html", status_code=status, **context)
    response.headers.update(headers)
    return response


# Registered on the /admin router: it answers in HTML where the app's plugin answers JSON.
HTML_ERRORS: ExceptionHandlersMap = {
    Exception: error_page,
    HTTPException: error_page,
    ValidationException: error_page,
    BookingError: error_page,
    ProblemDetailsException: error_page,
    RecursionError: error_page,
}
