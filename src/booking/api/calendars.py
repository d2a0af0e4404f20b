"""A staff member's own calendars (ICS addresses, CalDAV accounts) whose busy times are not
offered: `/api/staff/{id}/calendars`. The user name and password go in and never come out."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Controller, Request, delete, get, patch, post
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED
from pydantic import BaseModel, Field

from booking.api.auth import require_owner
from booking.api.schemas import Body, Label
from booking.api.state import business_id, database, now, outbound_allow_private
from booking.services import calendar_connections
from booking.services.calendar_connections import MAX_READ_CALENDARS, ConnectionInfo
from booking.services.calendar_sync import SyncSettings, sync_now

Url = Annotated[str, Field(min_length=1, max_length=2000)]
Secret = Annotated[str, Field(max_length=500)]
CalendarRef = Annotated[str, Field(min_length=1, max_length=2000)]
CalendarRefs = Annotated[list[CalendarRef], Field(max_length=MAX_READ_CALENDARS)]


class CalendarIn(Body):
    kind: Literal["ics", "caldav"]
    url: Url = Field(description="The ICS address (https or webcal), or the CalDAV server URL")
    name: Label = ""
    username: Annotated[str, Field(max_length=200)] | None = Field(
        default=None, description="CalDAV user name (write-only)"
    )
    password: Secret | None = Field(default=None, description="CalDAV app password (write-only)")
    read_calendars: CalendarRefs = Field(
        default=[], description="CalDAV calendars to read, by URL or name; empty: all of them"
    )
    write_calendar: CalendarRef | None = Field(
        default=None, description="CalDAV calendar that bookings are written to"
    )
    active: bool = True


class CalendarUpdate(Body):
    kind: Literal["ics", "caldav"] | None = None
    url: Url | None = None
    name: Label | None = None
    username: Annotated[str, Field(max_length=200)] | None = None
    password: Secret | None = None
    read_calendars: CalendarRefs | None = None
    write_calendar: CalendarRef | None = None
    active: bool | None = None


class CalendarOut(BaseModel):
    id: int
    staff_id: int
    kind: str
    name: str
    url: str = Field(
        description="The CalDAV server URL; of an ICS address only its host and file name "
        "(the address is a secret: write-only, as the password is)"
    )
    has_password: bool
    read_calendars: list[str]
    write_calendar: str | None
    active: bool
    last_attempt_at: datetime | None
    last_synced_at: datetime | None
    last_error: str | None
    failures: int
    events_seen: int
    busy_seen: int
    next_sync_at: datetime
    created_at: datetime

    @classmethod
    def of(cls, info: ConnectionInfo) -> CalendarOut:
        return cls(**{**asdict(info), "kind": info.kind.value})


def _sync_settings(request: Request[Any, Any, Any]) -> SyncSettings:
    settings: SyncSettings | None = getattr(request.app.state, "calendar_sync", None)
    return settings or SyncSettings()


class CalendarController(Controller):
    path = "/staff/{staff_id:int}/calendars"
    tags = ["staff calendars"]
    guards = [require_owner]  # credentials, and where the product connects: owner tokens only

    @get("/", summary="A staff member's calendars and how their last sync went")
    async def list_calendars(
        self, request: Request[Any, Any, Any], staff_id: int
    ) -> list[CalendarOut]:
        found = await calendar_connections.list_connections(
            database(request), business_id(request), staff_id
        )
        return [CalendarOut.of(c) for c in found]

    @post("/", status_code=HTTP_201_CREATED, summary="Connect an ICS address or CalDAV account")
    async def create(
        self, request: Request[Any, Any, Any], staff_id: int, data: CalendarIn
    ) -> CalendarOut:
        created = await calendar_connections.create_connection(
            database(request), business_id(request), staff_id, now=now(request),
            allow_private=outbound_allow_private(request), **data.model_dump(),
        )  # fmt: skip
        return CalendarOut.of(created)

    @get("/{connection_id:int}", summary="One calendar connection")
    async def read(
        self, request: Request[Any, Any, Any], staff_id: int, connection_id: int
    ) -> CalendarOut:
        found = await calendar_connections.get_connection(
            database(request), business_id(request), staff_id, connection_id
        )
        return CalendarOut.of(found)

    @patch("/{connection_id:int}", summary="Change a calendar connection")
    async def update(
        self,
        request: Request[Any, Any, Any],
        staff_id: int,
        connection_id: int,
        data: CalendarUpdate,
    ) -> CalendarOut:
        updated = await calendar_connections.update_connection(
            database(request), business_id(request), staff_id, connection_id,
            now=now(request), allow_private=outbound_allow_private(request),
            **data.model_dump(exclude_unset=True),
        )  # fmt: skip
        return CalendarOut.of(updated)

    @delete("/{connection_id:int}", summary="Disconnect (its busy times stop counting)")
    async def remove(
        self, request: Request[Any, Any, Any], staff_id: int, connection_id: int
    ) -> None:
        await calendar_connections.delete_connection(
            database(request), business_id(request), staff_id, connection_id
        )

    @post(
        "/{connection_id:int}/sync",
        status_code=HTTP_200_OK,
        summary="Sync now; answers with the connection's status afterwards",
    )
    async def sync(
        self, request: Request[Any, Any, Any], staff_id: int, connection_id: int
    ) -> CalendarOut:
        synced = await sync_now(
            database(request), business_id(request), staff_id, connection_id,
            _sync_settings(request), clock=request.app.state.clock,
        )  # fmt: skip
        return CalendarOut.of(synced)
