"""What Gemini Live itself receives and survives: the real plugin against the local stand-in.

The conversation tests run on this path too; these check what only this path has: the setup
frame, tool responses as Gemini frames, several calls in one `toolCall`, cancellations,
`goAway` with session resumption, and a connection that cannot come back.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from livekit.agents import CloseReason, TurnHandlingOptions, function_tool
from sqlalchemy import select

from booking.agent.call import new_session, open_call
from booking.agent.caller import CallerLine
from booking.agent.receptionist import Receptionist
from booking.models import Appointment, AppointmentStatus, Call, CallOutcome, ToolCall
from booking.services import appointments
from tests.agent.conftest import SHOP_NUMBER, make_runtime, slow_bookings, start_call
from tests.agent.promises import audit_promises
from tests.agent.scripted import tool
from tests.conftest import NOW
from tests.gemini_live.server import GeminiLiveStandIn

TOOLS = {
    "book_appointment",
    "business_info",
    "cancel_appointment",
    "check_availability",
    "create_new_customer",
    "end_call",
    "list_my_appointments",
    "reschedule_appointment",
    "take_message",
    "transfer_to_human",
}


async def rows(db: Any, model: Any, *where: Any) -> list[Any]:
    async with db.read() as session:
        return list(await session.scalars(select(model).where(*where)))


def declared(server: GeminiLiveStandIn) -> dict[str, dict[str, Any]]:
    return {
        declaration["name"]: declaration
        for tool_set in server.current.setup.get("tools", [])
        for declaration in tool_set.get("functionDeclarations", [])
    }


async def test_setup_declares_every_tool_within_geminis_limits(db, shop, gemini_live):
    """The first frame is a setup for the configured model with all ten tools, and every
    declaration passes Gemini's schema limits, so the live service accepts the session."""
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add("Hello.")
    await call.say("Hi")
    assert gemini_live.setup_problems == []
    setup = gemini_live.current.setup
    assert setup["model"] == f"models/{gemini_live.model}"
    assert set(declared(gemini_live)) == TOOLS
    assert declared(gemini_live)["check_availability"]["parameters"]["required"] == ["date"]
    assert "contextWindowCompression" in setup  # sessions are not cut at 15 minutes of audio
    assert gemini_live.current.headers.get("x-goog-api-key") == "test-key"
    await call.hang_up()


async def test_every_tool_is_declared_blocking(db, shop, gemini_live):
    """On every model (3.8 would default to NON_BLOCKING) each tool is declared BLOCKING: the
    model waits for a tool's answer before speaking, so it never says "booked" too soon."""
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add("Hello.")
    await call.say("Hi")
    assert {d.get("behavior") for d in declared(gemini_live).values()} == {"BLOCKING"}
    await call.hang_up()


async def test_reply_instructions_travel_as_each_model_expects(db, shop, gemini_live):
    """The greeting request (and every instructed reply) is one user turn wrapped in
    <instructions> on 3.8, and a model turn followed by a "." user turn on 2.5."""
    gemini_live.add("Hello Ada.")
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900", greet=True)
    await gemini_live.wait_for_request()
    [greeting] = [f for f in gemini_live.frames("clientContent") if f.get("turnComplete")]
    turns = [(t["role"], t["parts"][0]["text"]) for t in greeting["turns"]]
    if "3.8" in gemini_live.model:
        [(role, text)] = turns
        assert role == "user" and text.startswith("<instructions>")
        assert "Greet Ada by name" in text and text.rstrip().endswith("</instructions>")
    else:
        [(model_role, text), (user_role, placeholder)] = turns
        assert (model_role, user_role, placeholder) == ("model", "user", ".")
        assert "Greet Ada by name" in text
    await call.hang_up()


async def test_a_tool_gemini_would_refuse_is_caught_by_the_stand_in(db, shop, gemini_live):
    """A tool whose parameter Gemini cannot declare (a free-form mapping becomes an OBJECT
    without properties) is refused at setup, naming the tool and the parameter, so a change
    that would break every real call fails here first."""

    @function_tool
    async def add_note(fields: dict[str, str]) -> str:
        """Attach free-form fields to the call.

        Args:
            fields: Any key/value pairs.
        """
        return "ok"

    runtime = make_runtime(db, gemini_live)
    line = CallerLine(caller="+12345678900", dialled=SHOP_NUMBER, room_name="t")
    opened = await open_call(runtime, line)
    assert opened is not None
    state, upcoming = opened
    session = new_session(
        runtime, state, vad=None, turn_handling=TurnHandlingOptions(turn_detection=None)
    )
    await session.start(Receptionist(state, upcoming, greet=False, extra_tools=[add_note]))
    await gemini_live.wait_for(lambda: gemini_live.setup_problems)
    await session.aclose()
    assert any(
        "functionDeclarations" in problem and "properties[fields]" in problem
        for problem in gemini_live.setup_problems
    ), gemini_live.setup_problems
    assert gemini_live.connections == []  # no session was ever accepted


async def test_instructions_carry_the_day_table_and_the_caller(db, shop, gemini_live):
    """The system instruction Gemini receives holds today's date, the 14-day table and who
    the caller is, so the model never does calendar arithmetic or guesses the caller."""
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add("Hello Ada.")
    await call.say("Hello")
    seen = gemini_live.instructions_seen()
    assert "Today is Monday 2026-11-30" in seen
    assert "- Tuesday 2026-12-01 (tomorrow)" in seen
    assert "- Sunday 2026-12-13" in seen
    assert "The caller is Ada" in seen
    await call.hang_up()


async def test_greeting_reaches_gemini_within_100_ms(db, shop, gemini_live):
    """From the session starting to the greeting request arriving at Gemini (connection
    included) takes under 100 ms: the caller is not left listening to nothing."""
    runtime = make_runtime(db, gemini_live)
    line = CallerLine(caller="+12345678900", dialled=SHOP_NUMBER, room_name="t")
    opened = await open_call(runtime, line)
    assert opened is not None
    state, upcoming = opened
    session = new_session(
        runtime, state, vad=None, turn_handling=TurnHandlingOptions(turn_detection=None)
    )
    gemini_live.add("Hello Ada, Test Salon here.")
    started = time.perf_counter()
    await session.start(Receptionist(state, upcoming, greet=True))
    await gemini_live.wait_for_request()
    connection = gemini_live.current
    arrived = next(
        at
        for frame, at in zip(connection.frames, connection.arrived, strict=True)
        if frame.get("clientContent", {}).get("turnComplete")
    )
    assert "Greet Ada by name" in gemini_live.text_sent()
    assert arrived - started < 0.100, f"greeting arrived after {arrived - started:.3f} s"
    await session.aclose()


async def test_tool_results_and_errors_reach_gemini_as_tool_responses(db, shop, gemini_live):
    """A tool's sentence goes back as a functionResponse `output` with the call's id, and a
    refusal as an `error` the model can speak."""
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have 9 AM.",
        tool("book_appointment", option_id="T7"),
        "Let me check again.",
    )
    await call.say("Tuesday with Sam")
    await call.say("Book me at eleven")
    offered, refused = gemini_live.tool_responses()
    [first_call, second_call] = [
        c for f in gemini_live.sent("toolCall") for c in f["functionCalls"]
    ]
    assert offered["id"] == first_call["id"] and offered["name"] == "check_availability"
    assert offered["response"]["output"].startswith("T1: Tuesday the 1st of December at 9 AM")
    assert refused["id"] == second_call["id"]
    assert refused["response"] == {
        "error": "That is not one of the times I offered on this call. "
        "Call check_availability and offer one of its options."
    }
    await call.hang_up()


async def test_two_function_calls_in_one_tool_call_are_both_answered(db, shop, gemini_live):
    """Gemini may ask for two functions at once; both run and both answers go back, so the
    model is never left waiting on one of them."""
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add(
        [tool("check_availability", date="2026-12-01"), tool("list_my_appointments")],
        "Here is what I found.",
    )
    await call.say("What do I have, and what's free on Tuesday?")
    answered = {r["name"]: r["response"] for r in gemini_live.tool_responses()}
    assert set(answered) == {"check_availability", "list_my_appointments"}
    assert answered["list_my_appointments"] == {
        "output": "The caller has no upcoming appointments."
    }
    assert answered["check_availability"]["output"].startswith("T1: ")
    logged = await rows(db, ToolCall, ToolCall.call_id == call.state.call_id)
    assert sorted(t.name for t in logged) == ["check_availability", "list_my_appointments"]
    await call.hang_up()


async def test_a_booking_the_caller_spoke_over_stands_and_the_model_learns_it(
    db, shop, gemini_live, monkeypatch
):
    """Gemini takes back a booking call while it writes (the caller spoke over it) and
    ignores its result: the write finishes as one transaction and is logged, the model's
    context gets a note of the booking (no reply asked), and when the caller asks again
    nothing is booked twice; what the caller was told matches the rows."""
    writing = slow_bookings(monkeypatch)
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have 9 AM.",
        tool("book_appointment", option_id="T1"),
        "Yes, you're booked for 9 AM on Tuesday.",
    )
    await call.say("Tuesday with Sam")
    booking = asyncio.create_task(call.say("9 AM please"))
    await asyncio.wait_for(writing.wait(), 5)
    [booking_call] = gemini_live.sent("toolCall")[-1]["functionCalls"]
    await gemini_live.cancel_tool_calls([booking_call["id"]])
    note = await gemini_live.wait_for(
        lambda: [
            turn
            for f in gemini_live.frames("clientContent")
            if not f.get("turnComplete")
            for turn in f["turns"]
            if "spoke over my book_appointment call" in turn["parts"][0]["text"]
        ]
    )
    assert "Booked: Tuesday the 1st of December at 9 AM with Sam" in note[0]["parts"][0]["text"]
    # Gemini answers the caller's new words on its own; the model now knows the booking.
    await gemini_live.hear("Sorry, did that go through?")
    await gemini_live.speak("Yes, you're booked for 9 AM on Tuesday.")
    await asyncio.wait_for(booking, 10)
    stored = await rows(db, Appointment, Appointment.customer_id == shop.ada)
    assert [a.status for a in stored] == [AppointmentStatus.BOOKED]
    logged = await rows(db, ToolCall, ToolCall.name == "book_appointment")
    assert [t.error for t in logged] == [None]
    await call.hang_up()
    await audit_promises(db, call.state.call_id)


async def test_a_failed_booking_the_caller_spoke_over_is_not_claimed(
    db, shop, gemini_live, monkeypatch
):
    """The same, when the time was taken meanwhile: nothing is stored, and the model's note
    says it did not go through, so it cannot tell the caller they are booked."""
    from booking.services import customers

    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have 9 AM.",
        tool("book_appointment", option_id="T1", after=0.2),
    )
    await call.say("Tuesday with Sam")
    taken = call.state.options["T1"]
    rival = await customers.create_customer(db, shop.business_id, phone="+12125550166", name="Eve")
    await appointments.book(
        db,
        appointments.BookingRequest(
            business_id=shop.business_id,
            customer_id=rival.id,
            staff_id=taken.staff_id,
            local_date=taken.local_date,
            local_time=taken.local_time,
            duration_minutes=30,
        ),
        now=NOW,
    )
    writing = slow_bookings(monkeypatch)
    booking = asyncio.create_task(call.say("9 AM please"))
    await asyncio.wait_for(writing.wait(), 5)
    [booking_call] = gemini_live.sent("toolCall")[-1]["functionCalls"]
    await gemini_live.cancel_tool_calls([booking_call["id"]])
    note = await gemini_live.wait_for(
        lambda: [
            turn["parts"][0]["text"]
            for f in gemini_live.frames("clientContent")
            for turn in f["turns"]
            if "spoke over my book_appointment call" in turn["parts"][0]["text"]
        ]
    )
    assert "It did not go through" in note[0] and "was just taken" in note[0]
    await gemini_live.hear("Hello?")
    await gemini_live.speak("Sorry, 9 AM was just taken. I have 1 PM instead.")
    await asyncio.wait_for(booking, 10)
    await call.hang_up()
    assert await rows(db, Appointment, Appointment.customer_id == shop.ada) == []
    await audit_promises(db, call.state.call_id)


async def test_go_away_mid_call_resumes_and_the_call_books(db, shop, gemini_live):
    """Gemini ends the connection with goAway (as it does near its ~10-minute limit): the
    plugin reconnects with the last resumption handle, the call keeps its offered options and
    the caller, and the booking made after the reconnect is stored."""
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have 9 AM, 1 PM or 4:30 PM.",
        tool("book_appointment", option_id="T2"),
        "You're booked.",
    )
    await call.say("Tuesday with Sam")
    offered = call.state.options["T2"]
    handle = gemini_live.current.setup.get("sessionResumption", {}).get("handle")
    assert handle is None  # the first connection starts fresh
    await gemini_live.go_away()
    await gemini_live.wait_for(lambda: len(gemini_live.connections) == 2)
    resumed = gemini_live.current.setup["sessionResumption"]
    assert resumed["handle"].startswith("handle-")
    assert f"  T2: {offered.spoken}" in gemini_live.instructions_seen()  # the options go along
    result = await call.say("The second one")
    result.expect.contains_function_call(name="book_appointment")
    [stored] = await rows(db, Appointment, Appointment.customer_id == shop.ada)
    assert stored.status == AppointmentStatus.BOOKED
    assert stored.starts_at.astimezone(shop_zone()).time() == offered.local_time
    await call.hang_up()
    [logged] = await rows(db, Call)
    assert logged.outcome == CallOutcome.BOOKED


async def test_a_dropped_connection_without_a_handle_keeps_the_open_options(db, shop, gemini_live):
    """Gemini drops the socket before giving any resumption handle: the plugin reconnects and
    replays the conversation as text only, so the new connection's instructions carry the
    options still open; "the second one" books the right row on it."""
    gemini_live.give_handles = False
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have three times.",
        tool("book_appointment", option_id="T2"),
        "You're booked.",
    )
    await call.say("Tuesday with Sam")
    offered = call.state.options
    assert "T2:" not in gemini_live.instructions_seen()
    await gemini_live.drop(1011)
    await gemini_live.wait_for(lambda: len(gemini_live.connections) == 2)
    renewed = gemini_live.instructions_seen()
    assert "sessionResumption" not in gemini_live.current.setup or not (
        gemini_live.current.setup["sessionResumption"].get("handle")
    )
    for option in offered.values():
        assert f"{option.id}: {option.spoken}" in renewed
    assert renewed.count("Times offered and still open") == 1
    await call.say("The second one")
    [stored] = await rows(db, Appointment, Appointment.customer_id == shop.ada)
    assert stored.starts_at.astimezone(shop_zone()).time() == offered["T2"].local_time
    await call.hang_up()


async def test_after_go_away_the_new_connection_knows_what_was_booked(db, shop, gemini_live):
    """After a booking, goAway: the resumed connection's instructions say what was booked and
    no longer list the booked option as open, so the model does not offer it twice."""
    call = await start_call(make_runtime(db, gemini_live), gemini_live, "+12345678900")
    gemini_live.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have three times.",
        tool("book_appointment", option_id="T1"),
        "You're booked.",
    )
    await call.say("Tuesday with Sam")
    await call.say("The first one")
    await gemini_live.go_away()
    await gemini_live.wait_for(lambda: len(gemini_live.connections) == 2)
    renewed = gemini_live.instructions_seen()
    [stored] = await rows(db, Appointment, Appointment.customer_id == shop.ada)
    assert f"Appointment number {stored.id}. (option T1)" in renewed
    assert "  T1:" not in renewed and "  T2:" in renewed and "  T3:" in renewed
    await call.hang_up()


async def test_a_connection_that_cannot_come_back_ends_the_call_with_an_outcome(
    db, shop, gemini_live
):
    """Gemini drops the socket, with no resumption handle given, and refuses every
    reconnection: the session closes with an error instead of hanging in silence, and the call
    is logged as failed with an end time."""
    gemini_live.give_handles = False
    runtime = make_runtime(db, gemini_live)
    call = await start_call(runtime, gemini_live, "+12345678900")
    closed = asyncio.Event()
    reasons: list[CloseReason] = []

    def on_close(event: Any) -> None:
        reasons.append(event.reason)
        closed.set()

    call.session.on("close", on_close)
    gemini_live.add("Hello.")
    await call.say("Hi")
    gemini_live.refuse_setups = 100
    await gemini_live.drop(1011)
    await asyncio.wait_for(closed.wait(), 30)
    await call.recorder.finish()
    assert reasons == [CloseReason.ERROR]
    [logged] = await rows(db, Call)
    assert logged.ended_at is not None
    assert logged.outcome == CallOutcome.FAILED


def shop_zone() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("America/New_York")
