"""Appointments: the seed's booking and slots routes, plus listing, moving, cancelling, marking."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get, patch, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED

from booking.api.admin_schemas import AppointmentMove, PageOut
from booking.api.auth import same_business
from booking.api.schemas import AppointmentCreate, AppointmentOut, SlotOut, SlotsOut
from booking.api.search_window import date_range, refuse_past_horizon
from booking.api.state import business_id, database, now
from booking.errors import InvalidInput
from booking.models import MAX_ID, AppointmentSource, AppointmentStatus
from booking.services import appointments, availability
from booking.services.appointment_queries import list_appointments
from booking.services.businesses import get_business
from booking.services.localtime import parse_date, parse_time
from booking.services.pagination import PageRequest


class AppointmentController(Controller):
    path = "/appointments"
    tags = ["appointments"]

    @post("/", status_code=HTTP_201_CREATED, summary="Book an appointment (local date and time)")
    async def create(
        self,
        request: Request[Any, Any, Any],
        data: AppointmentCreate,
        idempotency_key: Annotated[
            str | None,
            Parameter(header="Idempotency-Key", required=False, max_length=255),
        ] = None,
    ) -> AppointmentOut:
        owner = same_business(business_id(request), data.business_id)
        booked = await appointments.book(
            database(request),
            appointments.BookingRequest(
                business_id=owner,
                customer_id=data.customer_id,
                staff_id=data.staff_id,
                service_id=data.service_id,
                local_date=parse_date(data.appointment_date, "appointment_date"),
                local_time=parse_time(data.appointment_time, "appointment_time"),
                duration_minutes=data.duration_minutes,
                source=AppointmentSource.API,
                notes=data.notes,
            ),
            idempotency_key=idempotency_key,
            now=now(request),
        )
        return AppointmentOut.of(booked)

    @get("/staff/{staff_id:int}/slots", summary="Free start times of a staff member")
    async def staff_slots(
        self,
        request: Request[Any, Any, Any],
        staff_id: int,
        start_date: Annotated[str, Parameter(max_length=10)],
        end_date: Annotated[str | None, Parameter(max_length=10)] = None,
        duration_minutes: Annotated[int, Parameter(ge=5, le=720)] = 30,
        service_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
    ) -> SlotsOut:
        db, owner, current = database(request), business_id(request), now(request)
        first, last = date_range(start_date, end_date)
        business = await get_business(db, owner)
        refuse_past_horizon(business, current, first, last)
        slots = await availability.find_slots(
            db,
            owner,
            start_date=first,
            end_date=last,
            staff_id=staff_id,
            service_id=service_id,
            duration_minutes=None if service_id else duration_minutes,
            now=current,
        )
        minutes = (
            int((slots[0].ends_at - slots[0].starts_at) / timedelta(minutes=1))
            if slots
            else duration_minutes
        )
        return SlotsOut(
            staff_id=staff_id,
            timezone=business.timezone,
            start_date=first.isoformat(),
            end_date=last.isoformat(),
            duration_minutes=minutes,
            slots=[SlotOut.of(slot) for slot in slots],
        )

    @get("/", summary="List appointments by local date range, staff, customer and status")
    async def list_appointments(
        self,
        request: Request[Any, Any, Any],
        start_date: Annotated[str | None, Parameter(max_length=10)] = None,
        end_date: Annotated[str | None, Parameter(max_length=10)] = None,
        staff_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        customer_id: Annotated[int | None, Parameter(ge=1, le=MAX_ID)] = None,
        status: AppointmentStatus | None = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> PageOut[AppointmentOut]:
        found = await list_appointments(
            database(request),
            business_id(request),
            start_date=parse_date(start_date, "start_date") if start_date else None,
            end_date=parse_date(end_date, "end_date") if end_date else None,
            staff_id=staff_id,
            customer_id=customer_id,
            status=status,
            page=PageRequest(page, page_size),
        )
        return PageOut[AppointmentOut](
            items=[AppointmentOut.of(a) for a in found.items],
            total=found.total,
            page=found.page,
            page_size=found.page_size,
        )

    @get("/{appointment_id:int}", summary="Read an appointment")
    async def read(self, request: Request[Any, Any, Any], appointment_id: int) -> AppointmentOut:
        found = await appointments.get_appointment(
            database(request), business_id(request), appointment_id
        )
        return AppointmentOut.of(found)

    @patch("/{appointment_id:int}", summary="Move to a new local date and time (one transaction)")
    async def move(
        self, request: Request[Any, Any, Any], appointment_id: int, data: AppointmentMove
    ) -> AppointmentOut:
        moved = await appointments.move(
            database(request),
            business_id(request),
            appointment_id,
            local_date=parse_date(data.appointment_date, "appointment_date"),
            local_time=parse_time(data.appointment_time, "appointment_time"),
            staff_id=data.staff_id,
            now=now(request),
        )
        return AppointmentOut.of(moved)

    @post("/{appointment_id:int}/cancel", status_code=200, summary="Cancel an appointment")
    async def cancel(self, request: Request[Any, Any, Any], appointment_id: int) -> AppointmentOut:
        cancelled = await appointments.cancel(
            database(request), business_id(request), appointment_id, now=now(request)
        )
        return AppointmentOut.of(cancelled)

    @post(
        "/{appointment_id:int}/status/{status:str}",
        status_code=200,
        summary="Mark completed or no_show",
    )
    async def mark(
        self, request: Request[Any, Any, Any], appointment_id: int, status: str
    ) -> AppointmentOut:
        allowed = {AppointmentStatus.COMPLETED.value, AppointmentStatus.NO_SHOW.value}
        if status not in allowed:
            raise InvalidInput("status", "must be completed or no_show")
        marked = await appointments.set_status(
            database(request),
            business_id(request),
            appointment_id,
            AppointmentStatus(status),
            now=now(request),
        )
        return AppointmentOut.of(marked)
