"""The business's own settings and the days it is closed."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.status_codes import HTTP_201_CREATED

from booking.api.admin_schemas import BusinessOut, BusinessUpdate, ClosureIn, ClosureOut
from booking.api.auth import require_owner
from booking.api.state import business_id, database
from booking.services import businesses


class BusinessController(Controller):
    path = "/business"
    tags = ["business"]

    @get("/", summary="Read the business's settings")
    async def read(self, request: Request[Any, Any, Any]) -> BusinessOut:
        return BusinessOut.of(
            await businesses.get_business(database(request), business_id(request))
        )

    @patch(
        "/",
        guards=[require_owner],
        summary="Change settings (a new time zone never moves booked instants)",
    )
    async def update(self, request: Request[Any, Any, Any], data: BusinessUpdate) -> BusinessOut:
        changes = data.model_dump(exclude_unset=True)
        updated = await businesses.update_business(
            database(request), business_id(request), **changes
        )
        return BusinessOut.of(updated)

    @get("/closures", summary="Days the whole business is closed")
    async def closures(self, request: Request[Any, Any, Any]) -> list[ClosureOut]:
        found = await businesses.list_closures(database(request), business_id(request))
        return [ClosureOut.of(c) for c in found]

    @post(
        "/closures",
        guards=[require_owner],
        status_code=HTTP_201_CREATED,
        summary="Close the business on dates",
    )
    async def close(self, request: Request[Any, Any, Any], data: ClosureIn) -> ClosureOut:
        closure = await businesses.create_closure(
            database(request),
            business_id(request),
            data.starts_on,
            data.ends_on or data.starts_on,
            data.reason,
        )
        return ClosureOut.of(closure)

    @delete(
        "/closures/{closure_id:int}", guards=[require_owner], summary="Reopen: remove a closure"
    )
    async def reopen(self, request: Request[Any, Any, Any], closure_id: int) -> None:
        await businesses.delete_closure(database(request), business_id(request), closure_id)
