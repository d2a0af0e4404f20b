"""Messages, transfers, hanging up, and the limits that end calls politely."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from booking.agent.limits import GOODBYE_TIME, STILL_THERE, WRAP_UP, CallLimits
from booking.models import Call, CallOutcome, Message, ToolCall
from booking.services import calls
from tests.agent.conftest import make_runtime, start_call
from tests.agent.scripted import tool
from tests.conftest import NOW


async def all_rows(db, model):
    async with db.read() as session:
        return list(await session.scalars(select(model)))


async def test_message_is_stored_for_staff(db, shop, phone):
    """take_message stores the message with the caller-ID number and name; outcome 'message'."""
    call = await phone()
    call.model.add(tool("take_message", message="Please call me about a group booking"), "Noted.")
    await call.say("Can someone call me back about a group booking?")
    await call.hang_up()
    [message] = await all_rows(db, Message)
    assert message.callback_number == "+12345678900"
    assert message.caller_name == "Ada"
    assert message.body == "Please call me about a group booking"
    [logged] = await all_rows(db, Call)
    assert logged.outcome == CallOutcome.MESSAGE


async def test_transfer_goes_to_the_business_number(db, shop, phone):
    """transfer_to_human sends the caller to the business's transfer number."""
    call = await phone()
    transferred_to: list[str] = []

    async def sip_transfer(number: str) -> None:  # stands in for LiveKit's SIP REFER
        transferred_to.append(number)

    call.state.transfer = sip_transfer
    call.model.add(tool("transfer_to_human"), "Transferring you now.")
    await call.say("Can I speak to a person?")
    await call.hang_up()
    assert transferred_to == ["+12125550199"]
    [logged] = await all_rows(db, Call)
    assert logged.outcome == CallOutcome.TRANSFERRED


async def test_end_call_closes_the_session_after_goodbye(db, shop, phone):
    """end_call after the goodbye closes the session; the call is logged with an end time."""
    call = await phone()
    closed = asyncio.Event()
    call.session.on("close", lambda _event: closed.set())
    call.model.add(tool("end_call"))
    await call.say("That's all, bye!")
    await asyncio.wait_for(closed.wait(), 5)
    await call.recorder.finish()
    [logged] = await all_rows(db, Call)
    assert logged.ended_at is not None
    assert logged.outcome == CallOutcome.INFO
    assert [t.name for t in await all_rows(db, ToolCall)] == ["end_call"]


async def test_maximum_length_wraps_up_then_hangs_up(db, shop, new_model):
    """At the maximum call length the caller is warned, told goodbye, and the line dropped."""
    model = await new_model()
    model.add("I'll need to end the call in a moment.", "Goodbye!")
    call = await start_call(make_runtime(db, model), model, "+12345678900")
    hung_up = asyncio.Event()

    async def hang_up() -> None:
        hung_up.set()

    limits = CallLimits(call.session, max_seconds=0.3, silence_seconds=60, hang_up=hang_up)
    limits.start()
    await asyncio.wait_for(hung_up.wait(), 10)
    seen = model.text_sent()
    assert WRAP_UP in seen and GOODBYE_TIME in seen
    await call.hang_up()


async def test_long_silence_asks_then_says_goodbye(db, shop, new_model):
    """After a silence the agent asks if the caller is there; after a second it hangs up."""
    model = await new_model()
    model.add("Are you still there?", "Goodbye!")
    runtime = make_runtime(db, model)
    runtime.settings.silence_timeout_seconds = 0.3
    call = await start_call(runtime, model, "+12345678900")
    hung_up = asyncio.Event()

    async def hang_up() -> None:
        hung_up.set()

    CallLimits(call.session, max_seconds=600, silence_seconds=0.3, hang_up=hang_up)
    await asyncio.wait_for(hung_up.wait(), 15)
    assert STILL_THERE in model.text_sent()
    await call.hang_up()


async def test_old_transcripts_are_purged(db, shop, phone):
    """Transcripts and tool arguments older than the retention are blanked; newer ones stay."""
    call = await phone()
    call.model.add(tool("list_my_appointments"), "None.")
    await call.say("What do I have booked?")
    await call.hang_up()
    assert await calls.purge_transcripts(db, 30, now=NOW + timedelta(days=10)) == 0
    [kept] = await all_rows(db, Call)
    assert kept.transcript
    await calls.purge_transcripts(db, 30, now=NOW + timedelta(days=31))
    [purged] = await all_rows(db, Call)
    assert purged.transcript == []
    assert all(t.arguments is None for t in await all_rows(db, ToolCall))
