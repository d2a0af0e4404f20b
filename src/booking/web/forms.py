"""Form helpers: read a posted form, and turn the one error hierarchy into messages shown
next to their fields (the field names are the problem details' names, so a form's inputs are
named as the API's fields are). An error that names no field is shown above the form."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from litestar import Request
from litestar.exceptions import ValidationException
from pydantic import BaseModel
from pydantic import ValidationError as PydanticError

from booking.errors import BookingError, InvalidFields, InvalidInput

# The key of an error that belongs to the whole form rather than one field.
FORM = "form"

FieldErrors = dict[str, str]


async def read_form(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The posted fields as text (a repeated field keeps its last value); the CSRF token is
    the middleware's, not the page's."""
    form = await request.form()
    return {k: str(v) for k, v in form.items() if k != "_csrf_token"}


async def read_form_lists(request: Request[Any, Any, Any]) -> dict[str, list[str]]:
    """The posted fields with every value of a repeated one (checkboxes, several intervals)."""
    form = await request.form()
    return {k: [str(v) for v in form.getall(k)] for k in form if k != "_csrf_token"}


# A service's message may name another field as the API does ("must not be before
# starts_on"); the page says it in words, as its labels do.
_FIELD_WORDS = {
    "starts_on": "the first day",
    "start_date": "the first day",
    "opens_at": "the opening time",
    "closes_at": "the closing time",
}
_NAMED_FIELD = re.compile(r"\b(" + "|".join(_FIELD_WORDS) + r")\b")


def in_words(message: str) -> str:
    """A message with the API field names it mentions said as the page's labels say them."""
    return _NAMED_FIELD.sub(lambda found: _FIELD_WORDS[found.group(1)], message)


def errors_of(exc: BaseException) -> FieldErrors:
    """Messages by field for an error raised by a service (or by Litestar's validation)."""
    if isinstance(exc, InvalidFields):
        errors: FieldErrors = {}
        for field, why in exc.problems:
            errors.setdefault(field, in_words(why))
        return errors
    if isinstance(exc, InvalidInput):
        return {exc.field: in_words(exc.reason)}
    if isinstance(exc, BookingError):
        return {FORM: exc.message}
    if isinstance(exc, ValidationException):
        extra = exc.extra if isinstance(exc.extra, list) else []
        found = {
            str(e["key"]): str(e.get("message", "is invalid"))
            for e in extra
            if isinstance(e, dict) and e.get("key")
        }
        return found or {FORM: str(exc.detail)}
    return {FORM: "that could not be done"}


M = TypeVar("M", bound=BaseModel)

_PLAIN = {"Field required": "is required", "Extra inputs are not permitted": "is not expected"}


def parse(model: type[M], data: dict[str, Any]) -> tuple[M | None, FieldErrors]:
    """Validate a form with a pydantic model: the model, or every field's problem at once."""
    try:
        return model.model_validate(data), {}
    except PydanticError as exc:
        errors: FieldErrors = {}
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"]) or FORM
            text = str(error["msg"]).removeprefix("Value error, ")
            errors.setdefault(field, in_words(_PLAIN.get(text, text)))
        return None, errors
