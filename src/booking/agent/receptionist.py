"""The receptionist Agent. Each tool's docstring is its contract with the model.

Tools never take a customer id or phone number from the model when caller ID gave one, book
only option ids offered in this call, and always answer, errors included, within the bridge's
timeout. Every tool call is written to the call log with its arguments, result and latency.
"""

from __future__ import annotations

import asyncio
import time as clock_time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date, timedelta
from typing import Any, Literal

from livekit.agents import Agent, RunContext, StopResponse, ToolError

from booking import errors, metrics
from booking.agent.business_info import Topic
from booking.agent.business_info import answer as answer_about_business
from booking.agent.model import CallRealtimeModel
from booking.agent.prompts import build_instructions, greeting_instructions
from booking.agent.sentences import sentence_for
from booking.agent.speech import spoken_date, spoken_slot
from booking.agent.state import CallState, OfferedOption
from booking.agent.tool_arguments import checked_tool
from booking.logging import get_logger
from booking.models import MAX_ID, AppointmentSource, CallOutcome
from booking.services import appointments, availability, calls, customers, sms_texts
from booking.services.appointments import AppointmentInfo
from booking.services.localtime import parse_date, wall_to_instant
from booking.services.phones import normalize_phone
from booking.services.staff import list_services, list_staff

log = get_logger(__name__)

PartOfDay = Literal["any", "morning", "afternoon", "evening"]
OPTIONS_PER_ANSWER = 3
END_CALL_GRACE_SECONDS = 5.0
# An appointment blocks its staff member for a buffer after it ends (up to this long), so one
# that ends just before an offered time can still be what stands in its way.
OWN_BOOKING_MARGIN_MINUTES = 60
SEARCH_AHEAD_DAYS = 7
BAD_NUMBER = "That does not sound like a valid phone number. Ask the caller to repeat it."
_PARTS = {"morning": (0, 12), "afternoon": (12, 17), "evening": (17, 24), "any": (0, 24)}


class Receptionist(Agent):
    def __init__(
        self,
        state: CallState,
        upcoming: list[AppointmentInfo],
        *,
        transcription_notice: str = "",
        greet: bool = True,
        extra_tools: list[Any] | None = None,
    ) -> None:
        super().__init__(
            instructions=build_instructions(
                state.business, state.today(), state.customer, state.verified, upcoming
            ),
            tools=extra_tools or [],
        )
        self.state = state
        self._notice = transcription_notice
        self._greet = greet

    async def on_enter(self) -> None:
        if self._greet:
            self.session.generate_reply(
                instructions=greeting_instructions(
                    self.state.business, self.state.customer, self.state.verified, self._notice
                )
            )

    # -- plumbing ----------------------------------------------------------------------------

    async def _service(self, coroutine: Any, *, write: bool = False) -> Any:
        return await self.state.bridge.call(coroutine, cancel_on_timeout=not write)

    async def _run(
        self, name: str, arguments: dict[str, Any], work: Callable[[], Awaitable[str]]
    ) -> str:
        """Run a tool body: errors become one sentence, and the call log gets a row."""
        started = clock_time.perf_counter()
        result: str | None = None
        error: str | None = None
        try:
            if any(isinstance(value, str) and "\x00" in value for value in arguments.values()):
                # No database stores U+0000 in text (PostgreSQL refuses it outright).
                raise ToolError("Part of that text could not be read. Ask the caller to repeat it.")
            result = await work()
            return result
        except ToolError as exc:
            error = exc.message
            raise
        except errors.BookingError as exc:
            error = sentence_for(exc)
            raise ToolError(error) from None
        except Exception as exc:
            log.exception("tool failed", tool=name, call_id=self.state.call_id)
            error = sentence_for(exc)
            raise ToolError(error) from None
        finally:
            elapsed = clock_time.perf_counter() - started
            metrics.TOOL_LATENCY.labels(tool=name).observe(elapsed)
            await self.log_tool_call(name, arguments, result, error, elapsed * 1000)

    async def log_tool_call(
        self,
        name: str,
        arguments: dict[str, Any],
        result: str | None,
        error: str | None,
        latency_ms: float,
    ) -> None:
        try:
            await self._service(
                calls.record_tool_call(
                    self.state.db,
                    self.state.call_id,
                    name=name,
                    arguments=arguments,
                    result=result,
                    error=error,
                    latency_ms=latency_ms,
                ),
                write=True,
            )
        except Exception:  # the call log must never break the call
            log.warning("could not record tool call", tool=name, call_id=self.state.call_id)

    async def tell_model_after_cancel(self, context: RunContext[CallState], outcome: str) -> None:
        """Gemini took this tool call back while it ran (the caller spoke over it) and may
        ignore its result. What happened (a booking that stood, or one that failed) is then
        added to the model's context as a note, without asking for a reply, so it neither
        books again nor tells the caller it failed. The recap carries a booking to any new
        connection too."""
        model = self.session.llm
        call = context.function_call
        if not isinstance(model, CallRealtimeModel) or call.call_id not in model.cancelled_calls:
            return
        note = f"(Note: the caller spoke over my {call.name} call; it finished anyway: {outcome})"
        try:
            chat_ctx = self.chat_ctx.copy()
            chat_ctx.add_message(role="assistant", content=note)
            await self.update_chat_ctx(chat_ctx)
        except Exception:
            log.warning("could not tell the model", tool=call.name, call_id=self.state.call_id)

    def _require_customer(self) -> int:
        if self.state.customer is None:
            raise ToolError(
                "I don't have the caller's details yet. Ask for their name"
                + ("" if self.state.verified else " and a callback number")
                + ", then call create_new_customer."
            )
        return self.state.customer.id

    def _require_verified(self) -> int:
        if not self.state.verified:
            raise ToolError(
                "The caller's number is withheld, so I can't look at or change existing "
                "appointments on this call. Offer to take a message instead."
            )
        return self._require_customer()

    # -- tools -------------------------------------------------------------------------------

    @checked_tool
    async def create_new_customer(
        self,
        context: RunContext[CallState],
        name: str,
        phone_number: str | None = None,
        email: str | None = None,
        email_consent: bool = False,
        sms_consent: bool = False,
    ) -> str:
        """Save a new caller's name so they can book. Read the name back to the caller first.
        After a booking, ask once whether they want a text confirmation and reminder; if they
        say yes, call this again with sms_consent true (also for a caller already on file).

        Args:
            name: The caller's full name as they gave it.
            phone_number: Only when the caller's number is withheld: the callback number they
                say. Ignored when caller ID is known.
            email: Only when the caller gave an email address and said yes to an email
                confirmation: the address, spelled back to them first. Otherwise leave empty.
            email_consent: True only when the caller gave an email address and said yes to an
                email confirmation; otherwise false.
            sms_consent: True only when the caller said yes to confirmations and reminders by
                text message to the number they are calling from; otherwise false.
        """

        async def work() -> str:
            state = self.state
            texts = bool(sms_consent and state.verified)
            if state.customer is not None:
                if not sms_consent:
                    return f"The caller is already on file as {state.customer.name}."
                if not texts or state.customer.phone != state.caller_number:
                    return "Texts go only to the number the caller is calling from; none set up."
                context.disallow_interruptions()
                await self._service(
                    sms_texts.consent_given(
                        state.db, state.business.id, state.customer.id, state.clock()
                    ),
                    write=True,
                )
                return "Text confirmations and reminders are on; a confirmation is on its way."
            if state.verified:
                phone = state.caller_number
            elif phone_number:
                try:
                    phone = normalize_phone(phone_number, state.business.default_region)
                except errors.InvalidInput:
                    raise ToolError(BAD_NUMBER) from None
            else:
                raise ToolError("Ask the caller for a callback number first.")
            assert phone is not None
            address = (email or "").strip() or None
            context.disallow_interruptions()
            try:
                customer = await self._service(
                    customers.create_customer(
                        state.db,
                        state.business.id,
                        phone=phone,
                        name=name,
                        email=address,
                        email_consent=bool(email_consent and address),
                        sms_consent=texts,
                    ),
                    write=True,
                )
            except errors.DuplicateCustomer as exc:
                # A number given by voice that is on file: book under it, reveal nothing. The
                # stored name stays out of this call: the caller is known by the name they gave.
                customer = await self._service(
                    customers.get_customer(state.db, state.business.id, exc.customer_id)
                )
                given = " ".join(name.split())[:200] or "the caller"
                state.customer = replace(customer, name=given, email=None, notes="")
                # The call log shows whose number this call booked under (admins only).
                await self._service(
                    calls.set_customer(state.db, state.call_id, customer.id), write=True
                )
                return "Thank you, I have the details."
            state.customer = customer
            await self._service(
                calls.set_customer(state.db, state.call_id, customer.id), write=True
            )
            return f"Saved {customer.name} as a new customer."

        return await self._run(
            "create_new_customer",
            {
                "name": name,
                "phone_number": phone_number,
                "email": email,
                "email_consent": email_consent,
                "sms_consent": sms_consent,
            },
            work,
        )

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
        first = _day(first_text)
        last = _day(last_text) if last_text else first
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
                raise ToolError(f"We don't offer {_said(service_name)}. We offer: {names}.")
        staff_id = None
        if staff_name and staff_name.strip().lower() not in {"anyone", "any", "no preference"}:
            members = await self._service(list_staff(state.db, state.business.id, active_only=True))
            staff_id = _match(staff_name, {m.id: m.name for m in members})
            if staff_id is None:
                names = ", ".join(m.name for m in members)
                raise ToolError(f"Nobody called {_said(staff_name)} works here. Our team: {names}.")
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
                f"{_describe(clash)} {alternatives}"
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
    async def list_my_appointments(self, context: RunContext[CallState]) -> str:
        """List the caller's upcoming appointments, with their appointment numbers."""

        async def work() -> str:
            customer_id = self._require_verified()
            upcoming = await self._service(
                appointments.list_upcoming(
                    self.state.db, self.state.business.id, customer_id, now=self.state.clock()
                )
            )
            if not upcoming:
                return "The caller has no upcoming appointments."
            listing = "\n".join(_describe(a) for a in upcoming)
            self.state.remember("The caller's upcoming appointments were listed: " + listing)
            return listing

        return await self._run("list_my_appointments", {}, work)

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
            _check_id(appointment_id)
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
            answer = "Moved. " + _describe(moved)
            state.remember(f"{answer} (option {option.id})", used_option=option.id)
            return answer

        return await self._run(
            "reschedule_appointment",
            {"appointment_id": appointment_id, "option_id": option_id},
            work,
        )

    @checked_tool
    async def cancel_appointment(self, context: RunContext[CallState], appointment_id: int) -> str:
        """Cancel one of the caller's appointments after they confirm.

        Args:
            appointment_id: The appointment number, from list_my_appointments.
        """

        async def work() -> str:
            state = self.state
            customer_id = self._require_verified()
            _check_id(appointment_id)
            context.disallow_interruptions()
            cancelled = await self._service(
                appointments.cancel(
                    state.db,
                    state.business.id,
                    appointment_id,
                    customer_id=customer_id,
                    enforce_cutoff=True,
                    now=state.clock(),
                ),
                write=True,
            )
            state.note(CallOutcome.CANCELLED)
            when = spoken_slot(cancelled.local_date, cancelled.local_time, cancelled.staff_name)
            answer = f"Cancelled appointment {cancelled.id} on {when}."
            state.remember(answer)
            return answer

        return await self._run("cancel_appointment", {"appointment_id": appointment_id}, work)

    @checked_tool
    async def take_message(
        self,
        context: RunContext[CallState],
        message: str,
        caller_name: str | None = None,
        callback_number: str | None = None,
    ) -> str:
        """Leave a message for the staff, who will call back.

        Args:
            message: What the caller wants, in a sentence or two.
            caller_name: The caller's name if known.
            callback_number: Only when the caller's number is withheld: the number they say.
        """

        async def work() -> str:
            state = self.state
            number = state.caller_number
            if number is None and callback_number:
                try:
                    number = normalize_phone(callback_number, state.business.default_region)
                except errors.InvalidInput:
                    raise ToolError(BAD_NUMBER) from None
            name = state.customer.name if state.customer else (caller_name or "")
            context.disallow_interruptions()
            await self._service(
                calls.take_message(
                    state.db,
                    state.business.id,
                    body=message,
                    caller_name=name,
                    callback_number=number,
                    customer_id=state.customer.id if state.customer else None,
                    call_id=state.call_id,
                    now=state.clock(),
                ),
                write=True,
            )
            state.note(CallOutcome.MESSAGE)
            state.remember("A message for the team was saved.")
            return "The message is saved; the team will call back."

        return await self._run(
            "take_message",
            {"message": message, "caller_name": caller_name, "callback_number": callback_number},
            work,
        )

    @checked_tool
    async def transfer_to_human(self, context: RunContext[CallState]) -> str:
        """Transfer the caller to a person at the business, when they ask for one or you cannot
        help. Tell the caller you are transferring them before calling this."""

        async def work() -> str:
            state = self.state
            number = state.business.transfer_number
            if not number or state.transfer is None:
                raise ToolError("Nobody can take the call right now. Offer to take a message.")
            context.disallow_interruptions()
            await state.transfer(number)
            state.note(CallOutcome.TRANSFERRED)
            return "Transferring now."

        return await self._run("transfer_to_human", {}, work)

    @checked_tool
    async def business_info(
        self,
        context: RunContext[CallState],
        topic: Topic,
        date: str | None = None,
        question: str | None = None,
    ) -> str:
        """Look up the business's own answer to a caller's question. Never state an opening
        hour, a price, an address or a policy that this tool did not give you in this call.

        Args:
            topic: hours (open hours of a day, or of the next seven days without a date),
                services (what we offer, how long each takes, prices), address (where we are,
                directions and parking), policies (cancelling, notice, how far ahead we book),
                question (anything else; give the question).
            date: For hours: the day, ISO YYYY-MM-DD from the day table.
            question: For question: the caller's question in a few words.
        """

        async def work() -> str:
            state = self.state
            day = _day(date) if date else None
            return await answer_about_business(
                self._service, state.business.id, state.db, state.today(), topic, day, question
            )

        return await self._run(
            "business_info", {"topic": topic, "date": date, "question": question}, work
        )

    @checked_tool
    async def end_call(self, context: RunContext[CallState]) -> None:
        """Hang up. Call this only after you have said goodbye and the caller needs nothing else."""

        async def work() -> str:
            session = self.session
            context.speech_handle.add_done_callback(lambda _: session.shutdown())
            # Gemini may answer end_call with yet another tool call, or with nothing at all:
            # the line is dropped regardless.
            asyncio.get_running_loop().call_later(END_CALL_GRACE_SECONDS, session.shutdown)
            return "Call ending."

        await self._run("end_call", {}, work)
        raise StopResponse()


def _said(text: str, limit: int = 40) -> str:
    """What the model sent, short enough to repeat back to it in a sentence."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _day(text: str) -> date:
    """An ISO date from the model; anything else is refused without echoing all of it."""
    try:
        return parse_date(text, "date")
    except errors.InvalidInput:
        raise ToolError(
            f"{_said(text)!r} is not a date. Use YYYY-MM-DD, as in the day table."
        ) from None


def _check_id(appointment_id: int) -> None:
    """An appointment number no row can have is not found, as an unknown one is."""
    if not 0 < appointment_id <= MAX_ID:
        raise errors.NotFound("appointment", appointment_id)


def _describe(appointment: AppointmentInfo) -> str:
    when = spoken_slot(appointment.local_date, appointment.local_time, appointment.staff_name)
    what = f" ({appointment.service_name})" if appointment.service_name else ""
    return f"Appointment {appointment.id}: {when}{what}."


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
