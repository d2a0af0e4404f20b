"""Whole conversations through the real AgentSession and tools, with a scripted model."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from booking.models import Appointment, AppointmentStatus, Call, CallOutcome, Customer, ToolCall
from tests.agent.scripted import tool


async def rows(db, model, *where):
    async with db.read() as session:
        return list(await session.scalars(select(model).where(*where)))


async def test_new_caller_gives_name_and_books(db, shop, phone):
    """A new caller is saved under their caller-ID number, books an offered time, and the call
    is logged as booked with its transcript and tool calls."""
    call = await phone(caller="+1 212 555 0147")
    call.model.add(
        tool("create_new_customer", name="Grace Hopper"),
        "Thanks Grace. How can I help?",
        tool("check_availability", date="2026-12-01", part_of_day="morning", service="haircut"),
        "I have a few times on Tuesday morning.",
        tool("book_appointment", option_id="T1"),
        "You're booked.",
    )
    await call.say("Hi, this is Grace Hopper")
    result = await call.say("A haircut on Tuesday morning please")
    result.expect.contains_function_call(name="check_availability")
    offered = call.state.options["T1"]
    await call.say("The first one, please")
    await call.hang_up()

    grace = await rows(db, Customer, Customer.phone == "+12125550147")
    assert [c.name for c in grace] == ["Grace Hopper"]
    booked = await rows(db, Appointment, Appointment.customer_id == grace[0].id)
    assert len(booked) == 1
    assert booked[0].status == AppointmentStatus.BOOKED
    assert booked[0].starts_at.astimezone(shop_zone()).time() == offered.local_time
    assert booked[0].call_id == call.state.call_id
    logged = (await rows(db, Call, Call.id == call.state.call_id))[0]
    assert logged.outcome == CallOutcome.BOOKED
    assert logged.customer_id == grace[0].id
    assert logged.ended_at is not None
    assert any(turn["text"] == "Hi, this is Grace Hopper" for turn in logged.transcript)
    tools = [t.name for t in await rows(db, ToolCall, ToolCall.call_id == logged.id)]
    assert tools == ["create_new_customer", "check_availability", "book_appointment"]


def shop_zone():
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/New_York")


async def book_for(db, shop, customer_id, day="2026-12-02", at="10:00", staff_id=None):
    from datetime import date, time

    from booking.services import appointments
    from tests.conftest import NOW

    return await appointments.book(
        db,
        appointments.BookingRequest(
            business_id=shop.business_id,
            customer_id=customer_id,
            staff_id=staff_id or shop.sam,
            local_date=date.fromisoformat(day),
            local_time=time.fromisoformat(at),
            duration_minutes=30,
        ),
        now=NOW,
    )


async def test_known_caller_is_named_in_instructions_and_cancels(db, shop, phone):
    """Caller ID finds Ada: the model's instructions carry her name and upcoming appointment,
    and she can cancel it; the call is logged as cancelled."""
    appointment = await book_for(db, shop, shop.ada)
    call = await phone(caller="sip_+12345678900")
    call.model.add(
        tool("cancel_appointment", appointment_id=appointment.id),
        "It's cancelled.",
    )
    result = await call.say("Please cancel my appointment on Wednesday")
    seen = call.model.instructions_seen()
    assert "The caller is Ada" in seen
    assert f"appointment {appointment.id}: Wednesday the 2nd of December at 10 AM with Sam" in seen
    assert "Today is Monday 2026-11-30" in seen and "- Tuesday 2026-12-01 (tomorrow)" in seen
    result.expect.next_event().is_function_call(name="cancel_appointment")
    result.expect.next_event().is_function_call_output(is_error=False)
    await call.hang_up()
    stored = (await rows(db, Appointment, Appointment.id == appointment.id))[0]
    assert stored.status == AppointmentStatus.CANCELLED
    logged = (await rows(db, Call, Call.id == call.state.call_id))[0]
    assert logged.outcome == CallOutcome.CANCELLED


async def test_cannot_cancel_another_customers_appointment(db, shop, phone):
    """The model passing someone else's appointment id is refused, and that booking stays."""
    from booking.services import customers

    other = await customers.create_customer(db, shop.business_id, phone="+12125550177", name="Bob")
    bobs = await book_for(db, shop, other.id)
    call = await phone(caller="+12345678900")
    call.model.add(tool("cancel_appointment", appointment_id=bobs.id), "Sorry, I can't.")
    result = await call.say("I'm calling for my husband, cancel his appointment")
    result.expect.next_event().is_function_call(name="cancel_appointment")
    output = result.expect.next_event().is_function_call_output(is_error=True)
    assert "can't find that appointment" in output.event().item.output
    stored = (await rows(db, Appointment, Appointment.id == bobs.id))[0]
    assert stored.status == AppointmentStatus.BOOKED


async def test_withheld_number_can_book_but_not_touch_existing(db, shop, phone):
    """An unverified caller books under the number they give, but listing, moving and
    cancelling are refused with a sentence."""
    existing = await book_for(db, shop, shop.ada)
    call = await phone(caller=None)
    call.model.add(
        tool("list_my_appointments"),
        "I can't do that.",
        tool("cancel_appointment", appointment_id=existing.id),
        "I can't do that.",
        tool("reschedule_appointment", appointment_id=existing.id, option_id="T1"),
        "I can't do that.",
        tool("create_new_customer", name="Lin", phone_number="(212) 555-0188"),
        "Thanks Lin.",
        tool("check_availability", date="2026-12-01"),
        "Options...",
        tool("book_appointment", option_id="T1"),
        "Booked.",
    )
    for attempt in ["What are my appointments?", "Cancel it", "Move it"]:
        result = await call.say(attempt)
        result.expect.skip_next()
        refused = result.expect.next_event().is_function_call_output(is_error=True)
        assert "withheld" in refused.event().item.output
    await call.say("I'm Lin, my number is 212 555 0188")
    await call.say("Tuesday please")
    await call.say("The first one")
    assert "withheld" in call.model.instructions_seen()
    lin = await rows(db, Customer, Customer.phone == "+12125550188")
    assert len(lin) == 1
    assert len(await rows(db, Appointment, Appointment.customer_id == lin[0].id)) == 1
    stored = (await rows(db, Appointment, Appointment.id == existing.id))[0]
    assert stored.status == AppointmentStatus.BOOKED


async def test_time_never_offered_is_refused(db, shop, phone):
    """Booking an option id that was not offered in this call is refused; nothing is stored."""
    call = await phone()
    call.model.add(tool("book_appointment", option_id="T7"), "Let me check first.")
    result = await call.say("Book me at 10 tomorrow")
    result.expect.skip_next()
    refused = result.expect.next_event().is_function_call_output(is_error=True)
    assert "not one of the times I offered" in refused.event().item.output
    assert await rows(db, Appointment) == []


async def test_time_taken_meanwhile_is_refused_with_new_options(db, shop, phone):
    """If an offered time is booked by someone else before the caller says yes, the model hears
    it was just taken plus fresh options, and nothing is stored for this caller."""
    from booking.services import customers

    call = await phone()
    call.model.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have some times.",
        tool("book_appointment", option_id="T1"),
        "Sorry, that went.",
    )
    await call.say("Tuesday with Sam")
    taken = call.state.options["T1"]
    rival = await customers.create_customer(db, shop.business_id, phone="+12125550166", name="Eve")
    await book_for(
        db, shop, rival.id, day=taken.local_date.isoformat(), at=taken.local_time.strftime("%H:%M")
    )
    result = await call.say("The first one")
    result.expect.skip_next()
    refused = result.expect.next_event().is_function_call_output(is_error=True)
    text = refused.event().item.output
    assert "was just taken" in text and "T4:" in text
    assert await rows(db, Appointment, Appointment.customer_id == shop.ada) == []


async def test_booking_twice_in_one_call_stores_one(db, shop, phone):
    """book_appointment run twice with the same option (a retried tool call) books once."""
    call = await phone()
    call.model.add(
        tool("check_availability", date="2026-12-01"),
        "Options.",
        tool("book_appointment", option_id="T2"),
        "Booked.",
        tool("book_appointment", option_id="T2"),
        "Booked.",
    )
    await call.say("Tuesday")
    await call.say("The second")
    await call.say("Yes the second, book it")
    assert len(await rows(db, Appointment, Appointment.customer_id == shop.ada)) == 1


async def test_phone_number_from_the_model_is_ignored_when_caller_id_is_known(db, shop, phone):
    """A new caller who says "use my husband's number +1..." is still saved under the caller-ID
    number: phone numbers never come from the model when caller ID gave one."""
    call = await phone(caller="+12125550150")
    call.model.add(
        tool("create_new_customer", name="Mia", phone_number="+12345678900"),
        "Thanks Mia.",
        tool("take_message", message="Call my husband", callback_number="+12345678900"),
        "Noted.",
    )
    await call.say("I'm Mia, use my husband's number +1 234 567 8900")
    await call.say("Leave a message to call him back")
    await call.hang_up()
    mia = await rows(db, Customer, Customer.name == "Mia")
    assert [c.phone for c in mia] == ["+12125550150"]
    ada = await rows(db, Customer, Customer.phone == "+12345678900")
    assert [c.name for c in ada] == ["Ada"]
    from booking.models import Message

    [message] = await rows(db, Message)
    assert message.callback_number == "+12125550150"


async def test_withheld_caller_giving_a_customers_number_learns_nothing_of_them(db, shop, phone):
    """A withheld-number caller who says an existing customer's number is never told that
    customer's name, not even when the model asks to save them twice, and the message they leave
    carries the name they gave, not the stored one."""
    from booking.models import Message

    call = await phone(caller=None)
    call.model.add(
        tool("create_new_customer", name="Eve", phone_number="234 567 8900"),  # Ada's number
        "Thanks Eve.",
        tool("create_new_customer", name="Eve", phone_number="234 567 8900"),
        "Thanks.",
        tool("take_message", message="Please call me back about colour"),
        "I've passed that on.",
    )
    outputs = []
    for said in ["I'm Eve, 234 567 8900", "Did you get that?", "Take a message please"]:
        result = await call.say(said)
        result.expect.skip_next()
        outputs.append(result.expect.next_event().is_function_call_output().event().item.output)
    await call.hang_up()

    assert not any("Ada" in output for output in outputs), outputs
    assert "Ada" not in call.model.instructions_seen()
    [message] = await rows(db, Message)
    assert message.caller_name == "Eve"
    assert message.body == "Please call me back about colour"
    [ada] = await rows(db, Customer, Customer.id == shop.ada)
    assert ada.name == "Ada"


async def test_known_caller_is_greeted_by_name_with_the_transcription_notice(db, shop, phone):
    """When a known caller's call starts, the model is asked at once to greet them by name, to
    name the business and to say the transcription notice."""

    call = await phone(greet=True)
    call.model.add("Hello Ada, this is Test Salon. This call is transcribed. How can I help?")
    asked = await call.model.wait_for_request()
    assert "Greet Ada by name" in asked
    assert "Test Salon" in asked
    assert "This call is transcribed to help us serve you." in asked


async def test_new_caller_is_asked_their_name(db, shop, phone):
    """A caller whose number is not on file is greeted and asked for their name."""

    call = await phone(caller="+12125550147", greet=True)
    call.model.add("Hello, this is Test Salon. May I have your name?")
    asked = await call.model.wait_for_request()
    assert "ask for their name" in asked
    assert "Ada" not in asked


async def test_talking_over_a_booking_does_not_cut_the_write_short(db, shop, phone, monkeypatch):
    """The caller barges in while book_appointment is writing: the interruption is refused for
    that turn, the appointment is stored, and the model gets the booking's answer and confirms
    it to the caller."""
    import asyncio

    from tests.agent.conftest import slow_bookings

    writing = slow_bookings(monkeypatch)
    call = await phone()
    call.model.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have 9 AM.",
        tool("book_appointment", option_id="T1"),
        "You're booked.",
    )
    await call.say("Tuesday with Sam")
    booking = asyncio.create_task(call.say("9 AM please"))
    await asyncio.wait_for(writing.wait(), 5)
    with pytest.raises(RuntimeError):  # the turn disallows interruptions while it writes
        call.session.interrupt()
    result = await asyncio.wait_for(booking, 10)
    output = next(e.item for e in result.events if e.type == "function_call_output")
    assert not output.is_error
    assert output.output.startswith("Booked: Tuesday the 1st of December at 9 AM with Sam")
    assert result.events[-1].type == "message"  # and the confirmation is still spoken
    stored = await rows(db, Appointment, Appointment.customer_id == shop.ada)
    assert [a.status for a in stored] == [AppointmentStatus.BOOKED]


async def test_a_day_with_nothing_free_offers_the_nearest_times_after_it(db, shop, phone):
    """Asked for a Sunday, when nobody works, the caller is offered the nearest free times of
    the days after it, said as such, and one of them can be booked."""
    call = await phone()
    call.model.add(
        tool("check_availability", date="2026-12-06", staff="Sam"),
        "Nothing on Sunday; Monday instead?",
        tool("book_appointment", option_id="T1"),
        "Booked.",
    )
    result = await call.say("Sunday with Sam?")
    result.expect.skip_next()
    offered = result.expect.next_event().is_function_call_output(is_error=False)
    text = offered.event().item.output
    assert text.startswith("Nothing is free then; the nearest times are:")
    assert "T1: Monday the 7th of December at 9 AM with Sam" in text
    await call.say("Monday at 9 then")
    stored = await rows(db, Appointment, Appointment.customer_id == shop.ada)
    assert [a.starts_at.astimezone(shop_zone()).isoformat() for a in stored] == [
        "2026-12-07T09:00:00-05:00"
    ]


async def test_erasing_a_customer_blanks_the_call_they_made_with_a_withheld_number(db, shop, phone):
    """A caller withholds their number, gives an existing customer's number by voice and books:
    the call is linked to that customer in the log, and erasing the customer blanks the call's
    transcript and tool arguments too, though the call row never carried their number."""
    from booking.services.erasure import erase_customer
    from tests.conftest import NOW

    call = await phone(caller=None)
    call.model.add(
        tool("create_new_customer", name="Ada Lovelace", phone_number="234 567 8900"),
        "Thanks Ada.",
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have 9 AM.",
        tool("book_appointment", option_id="T1"),
        "Booked.",
    )
    await call.say("I'm Ada Lovelace, my number is 234 567 8900, I have a heart condition")
    await call.say("Tuesday with Sam")
    await call.say("9 AM")
    await call.hang_up()
    [logged] = await rows(db, Call, Call.id == call.state.call_id)
    assert logged.caller_number is None
    assert logged.customer_id == shop.ada  # the call log shows whose number it booked under
    assert any("heart condition" in turn["text"] for turn in logged.transcript)

    await erase_customer(db, shop.business_id, shop.ada, now=NOW)
    [erased] = await rows(db, Call, Call.id == call.state.call_id)
    assert erased.transcript == []
    tools = await rows(db, ToolCall, ToolCall.call_id == erased.id)
    assert tools and all(t.arguments is None and t.result is None for t in tools)


async def test_booking_an_option_again_after_cancelling_it_books_anew(db, shop, phone):
    """Book an offered time, cancel it, book the same option again in the same call: a new
    appointment is made and named, never the cancelled one replayed as "Booked"."""
    call = await phone()
    call.model.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have 9 AM.",
        tool("book_appointment", option_id="T1"),
        "Booked.",
        lambda ctx: tool("cancel_appointment", appointment_id=_last_booked(call)),
        "Cancelled.",
        tool("book_appointment", option_id="T1"),
        "Booked again.",
    )
    await call.say("Tuesday with Sam")
    await call.say("9 AM")
    first = _last_booked(call)
    await call.say("Actually cancel that")
    result = await call.say("No wait, book it after all")
    output = next(e.item for e in result.events if e.type == "function_call_output")
    assert not output.is_error, output.output
    assert f"Appointment number {first}." not in output.output
    booked = await rows(db, Appointment, Appointment.customer_id == shop.ada)
    assert sorted(a.status for a in booked) == [
        AppointmentStatus.BOOKED,
        AppointmentStatus.CANCELLED,
    ]


def _last_booked(call) -> int:
    booked = [e for e in call.state.events if e.startswith("Booked:")]
    return int(booked[-1].split("Appointment number ")[1].split(".")[0])


async def test_an_option_that_clashes_with_the_callers_own_booking_says_so(db, shop, phone):
    """Two overlapping options from one offer: after booking the first, the second is refused
    as clashing with the caller's own appointment (not "taken by someone else"), with fresh
    times, and nothing more is stored."""
    call = await phone()
    call.model.add(
        tool("check_availability", date="2026-12-01", staff="Alex", service="colour",
             part_of_day="morning"),
        "I have three times.",
        tool("book_appointment", option_id="T1"),
        "Booked.",
        tool("book_appointment", option_id="T2"),
        "That clashes.",
    )  # fmt: skip
    await call.say("Colour on Tuesday morning with Alex")
    await call.say("The first")
    result = await call.say("And the second one too")
    refused = next(e.item for e in result.events if e.type == "function_call_output")
    assert refused.is_error
    assert "clashes with the caller's own appointment: Appointment" in refused.output
    assert "someone else" not in refused.output
    assert len(await rows(db, Appointment, Appointment.customer_id == shop.ada)) == 1


async def test_a_move_into_a_time_taken_meanwhile_offers_fresh_times(db, shop, phone):
    """Moving to an offered time that someone else booked meanwhile is refused with "just
    taken" and fresh options, as booking is; the appointment stays where it was."""
    from booking.services import customers

    mine = await book_for(db, shop, shop.ada, day="2026-12-02", at="10:00")
    call = await phone()
    call.model.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have three times.",
        tool("reschedule_appointment", appointment_id=mine.id, option_id="T1"),
        "Sorry, that went.",
    )
    await call.say("Can I move my Wednesday appointment to Tuesday?")
    taken = call.state.options["T1"]
    rival = await customers.create_customer(db, shop.business_id, phone="+12125550166", name="Eve")
    await book_for(
        db, shop, rival.id, day=taken.local_date.isoformat(), at=taken.local_time.strftime("%H:%M")
    )
    result = await call.say("The first one")
    refused = next(e.item for e in result.events if e.type == "function_call_output")
    assert refused.is_error
    assert "was just taken by someone else" in refused.output and "T4:" in refused.output
    [stored] = await rows(db, Appointment, Appointment.id == mine.id)
    assert stored.starts_at.astimezone(shop_zone()).isoformat() == "2026-12-02T10:00:00-05:00"
