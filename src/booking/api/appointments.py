"""Appointment routes kept from the seed: book, and a staff member's free slots."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED

from booking.api.auth import same_business
from booking.api.schemas import AppointmentCreate, AppointmentOut, SlotOut, SlotsOut
from booking.api.state import business_id, database, now
from booking.models import AppointmentSource
from booking.services import appointments, availability
from booking.services.businesses import get_business
from booking.services.localtime import parse_date, parse_time


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
        service_id: Annotated[int | None, Parameter(ge=1)] = None,
    ) -> SlotsOut:
        db, owner = database(request), business_id(request)
        first = parse_date(start_date, "start_date")
        last = parse_date(end_date, "end_date") if end_date else first
        slots = await availability.find_slots(
            db,
            owner,
            start_date=first,
            end_date=last,
            staff_id=staff_id,
            service_id=service_id,
            duration_minutes=None if service_id else duration_minutes,
            now=now(request),
        )
        business = await get_business(db, owner)
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
