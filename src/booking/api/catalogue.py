"""What the business sells: services with their duration and buffer."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.status_codes import HTTP_201_CREATED

from booking.api.admin_schemas import ServiceIn, ServiceOut, ServiceUpdate
from booking.api.state import business_id, database
from booking.services import staff


class ServiceController(Controller):
    path = "/services"
    tags = ["services"]

    @get("/", summary="List services (retired ones with include_retired=true)")
    async def list_services(
        self, request: Request[Any, Any, Any], include_retired: bool = False
    ) -> list[ServiceOut]:
        found = await staff.list_services(
            database(request), business_id(request), active_only=not include_retired
        )
        return [ServiceOut.of(s) for s in found]

    @post("/", status_code=HTTP_201_CREATED, summary="Create a service")
    async def create(self, request: Request[Any, Any, Any], data: ServiceIn) -> ServiceOut:
        db, owner = database(request), business_id(request)
        service_id = await staff.create_service(
            db, owner, data.name, data.duration_minutes, data.buffer_minutes,
            price_minor=data.price_minor, currency=data.currency, description=data.description,
        )  # fmt: skip
        return ServiceOut.of(await staff.get_service(db, owner, service_id))

    @get("/{service_id:int}", summary="Read a service")
    async def read(self, request: Request[Any, Any, Any], service_id: int) -> ServiceOut:
        return ServiceOut.of(
            await staff.get_service(database(request), business_id(request), service_id)
        )

    @patch("/{service_id:int}", summary="Change a service")
    async def update(
        self, request: Request[Any, Any, Any], service_id: int, data: ServiceUpdate
    ) -> ServiceOut:
        updated = await staff.update_service(
            database(request),
            business_id(request),
            service_id,
            **data.model_dump(exclude_unset=True),
        )
        return ServiceOut.of(updated)

    @delete("/{service_id:int}", status_code=200, summary="Retire a service (kept for history)")
    async def retire(self, request: Request[Any, Any, Any], service_id: int) -> ServiceOut:
        retired = await staff.update_service(
            database(request), business_id(request), service_id, active=False
        )
        return ServiceOut.of(retired)
