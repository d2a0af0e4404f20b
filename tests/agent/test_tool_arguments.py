"""A garbled tool call is answered with our sentence, and logged, on both model paths."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from booking.models import Appointment, ToolCall
from tests.agent.scripted import tool
from tests.gemini_live.server import GeminiLiveStandIn

GARBLED = [
    ("create_new_customer", {}, "name"),
    ("create_new_customer", {"name": ["Grace", "Hopper"]}, "name"),
    ("check_availability", {}, "date"),
    ("check_availability", {"date": "2026-12-01", "part_of_day": "tonight"}, "part_of_day"),
    ("check_availability", {"date": ["2026-12-01"]}, "date"),
    ("book_appointment", {"option_id": 1}, "option_id"),
    ("book_appointment", {}, "option_id"),
    ("reschedule_appointment", {"appointment_id": "abc", "option_id": "T1"}, "appointment_id"),
    ("reschedule_appointment", {"appointment_id": 1}, "option_id"),
    ("cancel_appointment", {"appointment_id": "abc"}, "appointment_id"),
    ("cancel_appointment", {}, "appointment_id"),
    ("take_message", {}, "message"),
    ("take_message", {"message": {"text": "call me"}}, "message"),
]


@pytest.mark.parametrize(("name", "arguments", "argument"), GARBLED)
async def test_wrong_or_missing_arguments_get_our_sentence_and_a_row(
    db, shop, phone, name: str, arguments: dict[str, Any], argument: str
):
    """A missing argument, or one of the wrong type or shape, is refused before the tool runs
    with one sentence naming the argument (never pydantic's report), the model receives it
    as an error, and the call log has a tool-call row holding that sentence."""
    call = await phone()
    call.model.add(tool(name, **arguments), "Let me try that again.")
    result = await call.say("Go ahead")
    [output] = [e.item for e in result.events if e.type == "function_call_output"]
    assert output.is_error
    sentence = output.output
    assert argument in sentence and sentence.endswith(".")
    assert "validation error" not in sentence and "pydantic" not in sentence
    if isinstance(call.model, GeminiLiveStandIn):
        [response] = call.model.tool_responses()
        assert response["name"] == name
        assert response["response"] == {"error": sentence}
    async with db.read() as session:
        [logged] = list(await session.scalars(select(ToolCall)))
        booked = list(await session.scalars(select(Appointment)))
    assert (logged.name, logged.error) == (name, sentence)
    assert logged.call_id == call.state.call_id
    assert booked == []


async def test_the_sentence_says_what_the_argument_must_be(db, shop, phone):
    """The refusal tells the model the allowed values, so it can correct itself at once."""
    call = await phone()
    call.model.add(tool("check_availability", date="2026-12-01", part_of_day="tonight"), "Ok.")
    result = await call.say("Tonight?")
    [output] = [e.item for e in result.events if e.type == "function_call_output"]
    assert output.output == (
        "The part_of_day given to check_availability is not right: it must be one of any, "
        "morning, afternoon or evening. Call check_availability again with a correct "
        "part_of_day."
    )
