"""`GET /health`: open, cheap, and honest about the database and whether calls are draining."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

from booking import __version__
from booking.api.schemas import DatabaseHealth, HealthOut
from booking.api.state import database
from booking.migrate import schema_state


@get(
    "/health",
    summary="Liveness and database state",
    tags=["health"],
    responses={
        503: ResponseSpec(HealthOut, description="The database is unreachable or not migrated")
    },
)
async def health(request: Request[Any, Any, Any]) -> Response[HealthOut]:
    db = database(request)
    try:
        state = await schema_state(db.engine)
    except Exception:  # any failure to reach the database is reported, not raised
        state = "unreachable"
    lifecycle = request.app.state.lifecycle
    status = lifecycle.status if state == "current" else "degraded"
    body = HealthOut(
        status=status,
        database=DatabaseHealth(state=state, backend=db.engine.dialect.name),
        agent=lifecycle.agent,
        version=__version__,
    )
    code = HTTP_200_OK if state == "current" else HTTP_503_SERVICE_UNAVAILABLE
    return Response(body, status_code=code)
