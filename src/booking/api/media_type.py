"""Bodies are JSON: a body declared as another media type is refused with 415."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE

# curl's `-d` labels its body form-encoded; the README's examples send JSON that way, so it is
# read as JSON like an unlabelled body.
_READ_AS_JSON = frozenset({"", "application/json", "application/x-www-form-urlencoded"})


def takes_json(media_type: str) -> bool:
    return media_type in _READ_AS_JSON or media_type.endswith("+json")


def require_json_body(request: Request[Any, Any, Any]) -> None:
    """Refuse, before reading it, a body labelled as text, XML, multipart and the like."""
    if "data" not in request.route_handler.parsed_fn_signature.parameters:
        return
    header = request.headers.get("content-type")
    if header is None:
        return
    if not takes_json(header.partition(";")[0].strip().lower()):
        raise ClientException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail="the body must be JSON: send it with Content-Type: application/json",
        )
