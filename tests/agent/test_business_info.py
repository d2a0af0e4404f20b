"""Questions about the business answered from its own data, on every model path: the tool's
result is what the model says, and what is not on file is said not to be."""

from __future__ import annotations

from datetime import date

from booking.services import closures, knowledge, staff
from tests.agent.scripted import tool

SATURDAY = date(2026, 12, 5)


async def ask(call, **arguments) -> str:
    """Have the model call business_info with these arguments; what the tool answered."""
    call.model.add(tool("business_info", **arguments), "Let me tell you.")
    result = await call.say("A question about the salon")
    [output] = [e.item for e in result.events if e.type == "function_call_output"]
    assert not output.is_error, output.output
    return str(output.output)


async def test_hours_of_a_day_with_a_lunch_break(db, shop, phone):
    """Saturday only Alex works, 10 to 1 and 1:30 to 6: said with the break."""
    call = await phone()
    said = await ask(call, topic="hours", date=SATURDAY.isoformat())
    assert said == "Saturday the 5th of December: 10 AM to 6 PM, closed 1 PM to 1:30 PM."


async def test_hours_of_a_holiday_closure(db, shop, phone):
    """A closure that day: closed, with its reason."""
    await closures.create_closure(db, shop.business_id, SATURDAY, SATURDAY, "Staff party")
    call = await phone()
    said = await ask(call, topic="hours", date=SATURDAY.isoformat())
    assert said == "Saturday the 5th of December: closed (Staff party)."


async def test_hours_of_the_week_ahead(db, shop, phone):
    """Without a date, the next seven days; Sunday, when nobody works, is closed."""
    call = await phone()
    said = await ask(call, topic="hours")
    assert said.startswith("Monday the 30th of November: 9 AM to 5 PM, closed 12 PM to 1 PM.")
    assert "Sunday the 6th of December: closed." in said
    assert "Tuesday the 1st of December: 9 AM to 6 PM." in said


async def test_a_price_on_file_and_one_that_is_not(db, shop, phone):
    """The haircut's price is said as stored; the colour has none, and the model is told not
    to guess it."""
    await staff.update_service(db, shop.business_id, shop.haircut, price_minor=2500, currency="usd")
    call = await phone()
    said = await ask(call, topic="services")
    assert "Haircut: 30 minutes, 25 dollars" in said
    assert "Colour: 90 minutes, price not on file (do not guess it)" in said


async def test_a_question_the_faq_answers(db, shop, phone):
    """Asked about parking, the business's own answer is given word for word."""
    await knowledge.add_faq(
        db, shop.business_id, "Is there parking?", "Free parking behind the shop on Elm Street."
    )
    await knowledge.add_faq(db, shop.business_id, "Do you take cards?", "Yes, all major cards.")
    call = await phone()
    said = await ask(call, topic="question", question="where can I park my car")
    assert said == "Free parking behind the shop on Elm Street."


async def test_a_question_with_no_answer_on_file_offers_a_message(db, shop, phone):
    """Nothing on file matches: the model is told to say it does not know and to offer a
    message, never given anything to invent from."""
    call = await phone()
    said = await ask(call, topic="question", question="do you do wedding makeup")
    assert said == (
        "There is no answer to that on file; say you don't know, and offer to take a message "
        "so the team can call back."
    )
    address = await ask(call, topic="address")
    assert address.startswith("The address is not on file")


async def test_the_instructions_forbid_stating_what_no_tool_gave(db, shop, phone):
    """The model is told to use business_info and never to state an hour, a price, an
    address or a policy it did not get from it."""
    call = await phone()
    call.model.add("Hello.")
    await call.say("Hi")
    seen = call.model.instructions_seen()
    assert "call business_info" in seen
    assert "Never state an opening hour, a price, an" in seen
