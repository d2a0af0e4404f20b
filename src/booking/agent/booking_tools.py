"""The receptionist's booking tools: finding free times, booking one that was offered, and
moving an appointment to one. Only option ids offered in this call can be booked."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, Literal

from livekit.agents import RunContext, ToolError

from booking import errors
from booking.agent.speech import spoken_date, spoken_slot
from booking.agent.state import CallState, OfferedOption
from booking.agent.tool_arguments import checked_tool
from booking.agent.tool_base import ToolBase, check_id, describe, model_date, said
from booking.models import AppointmentSource, CallOutcome
from booking.services import appointments, availability
from booking.services.localtime import wall_to_instant
from booking.services.staff import list_services, list_staff

PartOfDay = Literal["any", "morning", "afternoon", "evening"]
OPTIONS_PER_ANSWER = 3
# An appointment blocks its staff member for a buffer after it ends (up to this long), so one
# that ends just before an offered time can still be what stands in its way.
OWN_BOOKING_MARGIN_MINUTES = 60
SEARCH_AHEAD_DAYS = 7
_PARTS = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24), "any": (0, 24)}


class BookingTools(ToolBase):
    @checked_tool
    async def check_availability(
        self,
        context: RunContext[CallState],
        date: str,
        end_date: str | None = None,
        part_of_day: PartOfDay = "any",
        service: str | None = None,
        staff: str | None = None,
    ) -> str:
        """Find free times. Returns up to three options, each with an option id like T1; offer
        them to the caller in words and keep the ids for booking.

        Args:
            date: First day to search, ISO format YYYY-MM-DD, looked up in the day table.
            end_date: Last day to search (ISO), for requests like "any day next week".
            part_of_day: morning, afternoon, evening or any.
            service: The service asked for, e.g. "haircut"; leave empty if not said.
            staff: A staff member's name, or leave empty for anyone.
        """
        arguments = {
            "date": date,
            "end_date": end_date,
            "part_of_day": part_of_day,
            "service": service,
            "staff": staff,
        }
        return await self._run(
            "check_availability",
            arguments,
            lambda: self._find_options(date, end_date, part_of_day, service, staff),
        )

    async def _find_options(
        self,
        first_text: str,
        last_text: str | None,
        part_of_day: str,
        service_name: str | None,
        staff_name: str | None,
    ) -> str:
        state = self.state
        today = state.today()
        first = model_date(first_text)
        last = model_date(last_text) if last_text else first
        if first < today:
            raise ToolError(
                f"{spoken_date(first)} has passed; today is {spoken_date(today)}. Ask again."
            )
        if last < first:
            raise ToolError("The end date is before the start date. Ask again.")
        horizon = today + timedelta(days=state.business.horizon_days)
        if first > horizon:
            raise ToolError(
                f"We only book up to {state.business.horizon_days} days ahead, "
                f"until {spoken_date(horizon)}."
            )
        service_id, service_label, staff_id = await self._resolve_names(service_name, staff_name)
        hours = _PARTS.get(part_of_day, _PARTS["any"])
        searched_last = min(max(last, first + timedelta(days=SEARCH_AHEAD_DAYS)), horizon)

        async def free_between(start: date, end: date) -> list[Any]:
            slots = await self._service(
                availability.find_slots(
                    state.db,
                    state.business.id,
                    start_date=start,
                    end_date=end,
                    staff_id=staff_id,
                    service_id=service_id,
                    now=state.clock(),
                )
            )
            return [s for s in slots if hours[0] <= s.local_start.hour < hours[1]]

        # The days asked for first; the week after them only when they have nothing to offer.
        in_range = await free_between(first, min(last, searched_last))
        wanted = in_range
        if not in_range and last < searched_last:
            wanted = await free_between(last + timedelta(days=1), searched_last)
        chosen = _spread(in_range or wanted, OPTIONS_PER_ANSWER)
        if not chosen:
            return (
                f"Nothing is free from {spoken_date(first)} to {spoken_date(searched_last)}"
                + (f" in the {part_of_day}" if part_of_day != "any" else "")
                + ". Offer another day or to take a message."
            )
        duration = int((chosen[0].ends_at - chosen[0].starts_at).total_seconds() // 60)
        lines = []
        for slot in chosen:
            option = state.offer(
                OfferedOption(
                    id=state.next_option_id(),
                    staff_id=slot.staff_id,
                    staff_name=slot.staff_name,
                    service_id=service_id,
                    service_name=service_label,
                    duration_minutes=duration,
                    local_date=slot.local_date,
                    local_time=slot.local_time,
                    spoken=spoken_slot(slot.local_date, slot.local_time, slot.staff_name),
                )
            )
            lines.append(f"{option.id}: {option.spoken}")
        prefix = "" if in_range else "Nothing is free then; the nearest times are:\n"
        return prefix + "\n".join(lines)

    async def _resolve_names(
        self, service_name: str | None, staff_name: str | None
    ) -> tuple[int | None, str | None, int | None]:
        state = self.state
        service_id, service_label = None, None
        if service_name and service_name.strip():
            offered = await self._service(list_services(state.db, state.business.id))
            service_id = _match(service_name, {s.id: s.name for s in offered})
            service_label = next((s.name for s in offered if s.id == service_id), None)
            if service_id is None:
                names = ", ".join(s.name for s in offered)
                raise ToolError(f"We don't offer {said(service_name)}. We offer: {names}.")
        staff_id = None
        if staff_name and staff_name.strip().lower() not in {"anyone", "any", "no preference"}:
            members = await self._service(list_staff(state.db, state.business.id, active_only=True))
            staff_id = _match(staff_name, {m.id: m.name for m in members})
            if staff_id is None:
                names = ", ".join(m.name for m in members)
                raise ToolError(f"Nobody called {said(staff_name)} works here. Our team: {names}.")
        elif service_id is None:
            staff_id = state.default_staff_id
        return service_id, service_label, staff_id

    @checked_tool
    async def book_appointment(self, context: RunContext[CallState], option_id: str) -> str:
        """Book one of the options that check_availability returned in this call. Read the
        option back to the caller and get their yes before calling this.

        Args:
            option_id: The option's id, e.g. T2. Nothing else is accepted.
        """

        async def work() -> str:
            state = self.state
            option = state.options.get((option_id or "").strip().upper())
            if option is None:
                raise ToolError(
                    "That is not one of the times I offered on this call. "
                    "Call check_availability and offer one of its options."
                )
            customer_id = self._require_customer()
            context.disallow_interruptions()
            request = appointments.BookingRequest(
                business_id=state.business.id,
                customer_id=customer_id,
                staff_id=option.staff_id,
                service_id=option.service_id,
                duration_minutes=None if option.service_id else option.duration_minutes,
                local_date=option.local_date,
                local_time=option.local_time,
                source=AppointmentSource.PHONE,
                call_id=state.call_id,
            )
            key = f"call-{state.call_id}-option-{option.id}"
            try:
                try:
                    booked = await self._book(request, key)
                except errors.StaleIdempotencyKey as stale:
                    # This option's booking was cancelled (or moved) since: a new booking,
                    # under a key of its own, so a repeat of this request books once again.
                    booked = await self._book(request, f"{key}-after-{stale.appointment_id}")
            except errors.SlotUnavailable:
                raise ToolError(await self._taken(option, customer_id)) from None
            state.note(CallOutcome.BOOKED)
            answer = (
                f"Booked: {spoken_slot(booked.local_date, booked.local_time, booked.staff_name)}"
                + (f" for {booked.service_name}" if booked.service_name else "")
                + f". Appointment number {booked.id}."
            )
            state.remember(f"{answer} (option {option.id})", used_option=option.id)
            return answer

        return await self._run("book_appointment", {"option_id": option_id}, work)

    async def _book(
        self, request: appointments.BookingRequest, key: str
    ) -> appointments.AppointmentInfo:
        return await self._service(  # type: ignore[no-any-return]
            appointments.book(self.state.db, request, idempotency_key=key, now=self.state.clock()),
            write=True,
        )

    async def _taken(self, option: OfferedOption, customer_id: int) -> str:
        """Why an offered time can no longer be had, truthfully, with fresh options: the
        caller's own appointment when it is theirs that clashes, else someone else's."""
        state = self.state
        state.options.pop(option.id, None)
        upcoming = await self._service(
            appointments.list_upcoming(
                state.db, state.business.id, customer_id, now=state.clock(), limit=50
            )
        )
        start = wall_to_instant(option.local_date, option.local_time, state.business.zone)
        clash = next(
            (
                a
                for a in upcoming
                if start is not None
                and a.staff_id == option.staff_id
                and a.starts_at < start + timedelta(minutes=option.duration_minutes)
                and start < a.ends_at + timedelta(minutes=OWN_BOOKING_MARGIN_MINUTES)
            ),
            None,
        )
        alternatives = await self._alternatives(option)
        if clash is not None:
            return (
                f"{option.spoken} clashes with the caller's own appointment: "
                f"{describe(clash)} {alternatives}"
            )
        return f"{option.spoken} was just taken by someone else. {alternatives}"

    async def _alternatives(self, option: OfferedOption) -> str:
        """Fresh options on the same day (any staff member) after a time was taken."""
        try:
            text = await self._find_options(
                option.local_date.isoformat(), None, "any", option.service_name, None
            )
        except ToolError as exc:
            return exc.message
        return "Offer one of these instead:\n" + text

    @checked_tool
    async def reschedule_appointment(
        self, context: RunContext[CallState], appointment_id: int, option_id: str
    ) -> str:
        """Move one of the caller's appointments to a time offered by check_availability.

        Args:
            appointment_id: The appointment number, from list_my_appointments.
            option_id: The new time's option id, e.g. T3.
        """

        async def work() -> str:
            state = self.state
            customer_id = self._require_verified()
            check_id(appointment_id)
            option = state.options.get((option_id or "").strip().upper())
            if option is None:
                raise ToolError(
                    "That is not one of the times I offered on this call. "
                    "Call check_availability first."
                )
            context.disallow_interruptions()
            try:
                moved = await self._service(
                    appointments.move(
                        state.db,
                        state.business.id,
                        appointment_id,
                        local_date=option.local_date,
                        local_time=option.local_time,
                        staff_id=option.staff_id,
                        customer_id=customer_id,
                        enforce_cutoff=True,
                        now=state.clock(),
                    ),
                    write=True,
                )
            except errors.SlotUnavailable:
                raise ToolError(await self._taken(option, customer_id)) from None
            state.note(CallOutcome.RESCHEDULED)
            answer = "Moved. " + describe(moved)
            state.remember(f"{answer} (option {option.id})", used_option=option.id)
            return answer

        return await self._run(
            "reschedule_appointment",
            {"appointment_id": appointment_id, "option_id": option_id},
            work,
        )


def _match(spoken: str, names: dict[int, str]) -> int | None:
    """The id whose name matches what was said: exact, then prefix, then containment."""
    wanted = " ".join(spoken.lower().split())
    checks: list[Callable[[str], bool]] = [
        lambda name: name == wanted,
        lambda name: name.startswith(wanted) or wanted.startswith(name),
        lambda name: wanted in name or name in wanted,
    ]
    for check in checks:
        found = [i for i, name in names.items() if check(name.lower())]
        if len(found) == 1:
            return found[0]
    return None


def _spread(slots: list[Any], count: int) -> list[Any]:
    """A few options spread over the day rather than three in a row 15 minutes apart."""
    if len(slots) <= count:
        return slots
    by_day: dict[date, list[Any]] = {}
    for slot in slots:
        by_day.setdefault(slot.local_date, []).append(slot)
    first_day = by_day[min(by_day)]
    if len(first_day) >= count:
        step = (len(first_day) - 1) / (count - 1)
        return [first_day[round(i * step)] for i in range(count)]
    return slots[:count]
