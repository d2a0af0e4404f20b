"""The business's own settings and the days it is closed."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from booking.api.admin_schemas import BusinessOut, BusinessUpdate, ClosureIn, ClosureOut
from booking.api.auth import require_owner
from booking.api.state import business_id, database, now
from booking.api.stranded import OnAffected
from booking.errors import InvalidInput
from booking.services import businesses, closures
from booking.services.businesses import ZoneChange
from booking.services.stranding import OnStranded


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
        summary="Change settings (a new time zone says what booked appointments keep)",
    )
    async def update(
        self,
        request: Request[Any, Any, Any],
        data: BusinessUpdate,
        on_affected: OnAffected = OnStranded.REFUSE,
        appointments_keep: ZoneChange | None = None,
    ) -> BusinessOut:
        """With future bookings, a new `timezone` needs `appointments_keep` (`local_times` or
        `instants`); one that leaves any outside the hours needs `on_affected`."""
        changes = data.model_dump(exclude_unset=True)
        updated = await businesses.update_business(
            database(request),
            business_id(request),
            on_affected=on_affected,
            appointments_keep=appointments_keep,
            now=now(request),
            **changes,
        )
        return BusinessOut.of(updated)

    @delete(
        "/",
        guards=[require_owner],
        status_code=HTTP_204_NO_CONTENT,
        summary="Delete the business and all its data (confirm with its exact name)",
    )
    async def remove(
        self, request: Request[Any, Any, Any], confirm: Annotated[str, Parameter(max_length=200)]
    ) -> None:
        """Everything of the business goes: staff, customers, appointments, calls, tokens."""
        db, owner = database(request), business_id(request)
        business = await businesses.get_business(db, owner)
        if confirm != business.name:
            raise InvalidInput("confirm", "must be the business's exact name")
        await businesses.delete_business(db, owner)

    @get("/closures", summary="Days the whole business is closed")
    async def closures(self, request: Request[Any, Any, Any]) -> list[ClosureOut]:
        found = await closures.list_closures(database(request), business_id(request))
        return [ClosureOut.of(c) for c in found]

    @post(
        "/closures",
        guards=[require_owner],
        status_code=HTTP_201_CREATED,
        summary="Close the business on dates",
    )
    async def close(
        self,
        request: Request[Any, Any, Any],
        data: ClosureIn,
        on_affected: OnAffected = OnStranded.REFUSE,
    ) -> ClosureOut:
        closure = await closures.create_closure(
            database(request),
            business_id(request),
            data.starts_on,
            data.ends_on or data.starts_on,
            data.reason,
            on_affected=on_affected,
            now=now(request),
        )
        return ClosureOut.of(closure)

    @delete(
        "/closures/{closure_id:int}", guards=[require_owner], summary="Reopen: remove a closure"
    )
    async def reopen(self, request: Request[Any, Any, Any], closure_id: int) -> None:
        await closures.delete_closure(database(request), business_id(request), closure_id)
