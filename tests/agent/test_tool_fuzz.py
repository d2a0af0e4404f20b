"""Hypothesis over the arguments the model can send to the phone agent's tools (issue 5, item 4).

Wrong types, empty and huge strings, dates in 1900 and 3000, times like 25:61, unknown option and
appointment ids, negative and huge numbers: whatever the model sends, it gets back something it
can say (a result, or an error sentence), never "An internal error occurred" nor our own
"something went wrong", and a refused tool call leaves no row behind. The calls are real
(AgentSession, tools, database); the scripted model plays one tool call per example.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import func, select

from booking.agent.sentences import SOMETHING_WRONG
from booking.db import Database
from booking.models import Appointment, Business, Customer, Message
from booking.services import businesses
from booking.services.appointments import AppointmentInfo, list_upcoming
from tests.agent.conftest import PhoneCall, make_runtime, start_call
from tests.agent.promises import audit_promises
from tests.agent.scripted import ScriptedLLM, tool
from tests.agent.test_conversations import book_for
from tests.conftest import NOW
from tests.factories import Shop

# No shrinking: each example is a phone call, and the assertion messages carry the arguments.
FUZZ = settings(
    max_examples=40,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

NASTY_TEXT = [
    "",
    " ",
    "\t\n",
    "x" * 5000,
    "\x00",
    "a\x00b",
    "null",
    "None",
    "T1",
    " t2 ",
    "T999",
    "Z0",
    "-1",
    "0",
    "25:61",
    "24:00",
    "1900-01-01",
    "3000-01-01",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2026-13-01",
    "2026-12-01T10:00",
    "tomorrow",
    "next Tuesday",
    "+1 (234) 567-8900",
    "sip_+12345678900",
    "+99999999999999999999",
    "'; DROP TABLE appointments; --",
    "😀" * 100,
    "ﬀ\u202e\u200b",
]
HUGE = st.builds(
    lambda piece, times: piece * times,
    st.sampled_from(["x", "9", " ", "T1", "2026-12-01", "😀", "\x00"]),
    st.integers(min_value=100, max_value=5000),
)
TEXT = st.one_of(st.sampled_from(NASTY_TEXT), st.text(max_size=30), HUGE)
ISO_DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(3000, 12, 31)).map(date.isoformat)
NEAR_DATES = st.dates(min_value=date(2026, 11, 25), max_value=date(2027, 2, 1)).map(date.isoformat)
NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**31, 2**63, -(2**63) - 1]),
)
JUNK = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        NUMBERS,
        st.floats(allow_nan=False, allow_infinity=False),
        TEXT,
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=4,
)


def arg(right: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a value of the right type (often a wrong one in content), sometimes any JSON."""
    return st.one_of(right, right, JUNK)


async def counts(db: Database) -> tuple[Any, ...]:
    """What a refused tool call must not change: appointments (with their status and time),
    customers and messages."""
    async with db.read() as session:
        booked = tuple(
            await session.execute(
                select(Appointment.id, Appointment.status, Appointment.starts_at).order_by(
                    Appointment.id
                )
            )
        )
        people = await session.scalar(select(func.count()).select_from(Customer))
        messages = await session.scalar(select(func.count()).select_from(Message))
    return booked, people, messages


@asynccontextmanager
async def on_the_phone(db: Database, caller: str | None) -> AsyncIterator[PhoneCall]:
    """A fresh call for one example, hung up at its end, and its promises audited: whatever
    garbled arguments the tools got, every booked, moved or cancelled they answered is a row."""
    async with db.read() as session:
        business_id = await session.scalar(select(Business.id).order_by(Business.id).limit(1))
    # Hundreds of examples call from one number: the repeat-call limit would refuse them.
    await businesses.update_business(db, business_id, max_calls_per_number=1000)
    model = ScriptedLLM()
    call = await start_call(make_runtime(db, model), model, caller)
    try:
        yield call
    finally:
        await call.hang_up()
    await audit_promises(db, call.state.call_id)


async def adas_appointment(db: Database, shop: Shop) -> AppointmentInfo:
    """Ada's one upcoming appointment, booked by the first example that needs it."""
    upcoming = await list_upcoming(db, shop.business_id, shop.ada, now=NOW)
    return upcoming[0] if upcoming else await book_for(db, shop, shop.ada)


async def ask(call: PhoneCall, name: str, arguments: dict[str, Any]) -> tuple[str, bool]:
    """Have the model call one tool with these raw arguments; what the model got back."""
    call.model.add(tool(name, **arguments), "Okay.")
    result = await call.say("Please go ahead.")
    outputs = [e.item for e in result.events if e.type == "function_call_output"]
    assert len(outputs) == 1, f"{name}({arguments!r}) got {len(outputs)} answers"
    return str(outputs[0].output), bool(outputs[0].is_error)


def assert_sayable(name: str, arguments: dict[str, Any], output: str, is_error: bool) -> None:
    where = f"{name}({arguments!r:.300}) -> {output!r:.300}"
    assert output.strip(), where
    assert output != "An internal error occurred", where
    assert output != SOMETHING_WRONG, where
    assert "Traceback" not in output, where
    # Ours, never LiveKit's or pydantic's report: a sentence, of a length one can say.
    assert "validation error" not in output and "pydantic" not in output, where
    assert not output.startswith("Error parsing arguments"), where
    if is_error:
        assert output.rstrip()[-1] in ".!?", where
        assert len(output) <= 600, where


def coerces_to(adapter: TypeAdapter[Any], value: Any, accept: Callable[[Any], bool]) -> bool:
    """Whether LiveKit's argument check would turn `value` into something `accept`s."""
    try:
        return accept(adapter.validate_python(value))
    except ValidationError:
        return False


AS_INT: TypeAdapter[int] = TypeAdapter(int)
AS_TEXT: TypeAdapter[str] = TypeAdapter(str)


@FUZZ
@given(
    arguments=st.fixed_dictionaries(
        {"date": arg(st.one_of(ISO_DATES, NEAR_DATES, TEXT))},
        optional={
            "end_date": arg(st.one_of(ISO_DATES, NEAR_DATES, TEXT, st.none())),
            "part_of_day": arg(st.sampled_from(["any", "morning", "afternoon", "evening"]) | TEXT),
            "service": arg(st.sampled_from(["haircut", "Colour", "beard", ""]) | TEXT),
            "staff": arg(st.sampled_from(["Sam", "alex", "anyone", ""]) | TEXT),
            "surprise": JUNK,
        },
    )
)
async def test_check_availability_answers_any_arguments(
    db: Database, shop: Shop, arguments: dict[str, Any]
) -> None:
    """Whatever dates, names and types the model sends to check_availability, it gets options
    or a sentence back, and nothing is booked."""
    before = await counts(db)
    async with on_the_phone(db, "+12345678900") as call:
        output, is_error = await ask(call, "check_availability", arguments)
    assert_sayable("check_availability", arguments, output, is_error)
    assert await counts(db) == before


@settings(FUZZ, max_examples=60)  # three tools share this one
@given(data=st.data())
async def test_booking_tools_refuse_ids_that_were_not_offered_or_are_not_theirs(
    db: Database, shop: Shop, data: st.DataObject
) -> None:
    """Option ids never offered, appointment ids that are unknown, negative, huge or of the
    wrong type: book, move and cancel answer with a sentence and change nothing."""
    mine = await adas_appointment(db, shop)
    async with on_the_phone(db, "+12345678900") as call:
        offered, _ = await ask(call, "check_availability", {"date": "2026-12-01"})
        assert offered.startswith("T1: ")
        before = await counts(db)
        await attempt_with_foreign_ids(call, data, mine)
    assert await counts(db) == before


async def attempt_with_foreign_ids(
    call: PhoneCall, data: st.DataObject, mine: AppointmentInfo
) -> None:
    """One call of book, move or cancel with ids this caller was not given; it must fail."""

    def not_offered(value: Any) -> bool:
        return not coerces_to(AS_TEXT, value, lambda s: s.strip().upper() in call.state.options)

    def not_mine(value: Any) -> bool:
        return not coerces_to(AS_INT, value, lambda i: i == mine.id)

    option = arg(TEXT | st.sampled_from(["T0", "T4", "T-1", "t 1", "T１"])).filter(not_offered)
    appointment = arg(NUMBERS).filter(not_mine)
    name, arguments = data.draw(
        st.one_of(
            st.tuples(st.just("book_appointment"), st.fixed_dictionaries({"option_id": option})),
            st.tuples(
                st.just("reschedule_appointment"),
                st.fixed_dictionaries(
                    {"appointment_id": appointment, "option_id": option | st.just("T1")}
                ),
            ),
            st.tuples(
                st.just("cancel_appointment"),
                st.fixed_dictionaries({"appointment_id": appointment}),
            ),
        ),
        label="tool call",
    )
    output, is_error = await ask(call, name, arguments)
    assert_sayable(name, arguments, output, is_error)
    assert is_error, f"{name}({arguments!r}) was accepted: {output}"


@FUZZ
@given(
    caller=st.sampled_from([None, "+12125550147"]),
    name=arg(st.sampled_from(["Grace Hopper", " ", "Ada"]) | TEXT),
    phone_number=arg(
        st.sampled_from(["+1 212 555 0148", "212-555-0149", "+12345678900"]) | TEXT | st.none()
    ),
)
async def test_create_new_customer_saves_only_what_it_says_it_saved(
    db: Database, shop: Shop, caller: str | None, name: Any, phone_number: Any
) -> None:
    """A new caller's name and spoken number in any shape: the model hears a sentence, and a
    refusal stores no customer."""
    arguments = {"name": name, "phone_number": phone_number}
    before = await counts(db)
    async with on_the_phone(db, caller) as call:
        output, is_error = await ask(call, "create_new_customer", arguments)
    assert_sayable("create_new_customer", arguments, output, is_error)
    booked, people, messages = await counts(db)
    assert (booked, messages) == (before[0], before[2])
    assert people == before[1] if is_error else people in (before[1], before[1] + 1)


@FUZZ
@given(
    caller=st.sampled_from([None, "+12345678900"]),
    arguments=st.fixed_dictionaries(
        {"message": arg(st.sampled_from(["Please call me back", "   "]) | TEXT)},
        optional={
            "caller_name": arg(TEXT | st.none()),
            "callback_number": arg(st.sampled_from(["+1 212 555 0150"]) | TEXT | st.none()),
        },
    ),
)
async def test_take_message_stores_a_message_only_when_it_says_so(
    db: Database, shop: Shop, caller: str | None, arguments: dict[str, Any]
) -> None:
    """Messages of any shape, from known and withheld numbers: a sentence back, and a message
    row only when the model was told it is saved."""
    before = await counts(db)
    async with on_the_phone(db, caller) as call:
        output, is_error = await ask(call, "take_message", arguments)
    assert_sayable("take_message", arguments, output, is_error)
    booked, people, messages = await counts(db)
    assert (booked, people) == before[:2]
    assert messages == before[2] + (0 if is_error else 1)
