"""The call runtime beyond one conversation: threads and the bridge, DST, timeouts."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time as wall
from datetime import UTC, datetime, time

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from booking.models import Appointment
from booking.services import customers, staff
from tests.agent.conftest import make_runtime, start_call
from tests.agent.scripted import tool


async def appointments_in(db):
    async with db.read() as session:
        return list(await session.scalars(select(Appointment)))


async def test_spring_forward_sunday_nine_is_stored_in_daylight_time(db, shop, new_model):
    """On the day clocks go forward in New York, "9 AM next Sunday" is offered, spoken and
    stored as 13:00 UTC (EDT), not 14:00."""
    await staff.set_weekly_hours(
        db, shop.business_id, shop.sam, {6: [(time(9), time(9, 30))], 0: [(time(9), time(17))]}
    )
    model = await new_model()
    model.add(
        tool("check_availability", date="2027-03-14", staff="Sam"),
        "I have 9 AM on Sunday.",
        tool("book_appointment", option_id="T1"),
        "Booked.",
    )
    wednesday = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)
    call = await start_call(make_runtime(db, model, clock=lambda: wednesday), model, "+12345678900")
    offered = await call.say("9 next Sunday with Sam")
    output = next(e for e in offered.events if e.type == "function_call_output").item.output
    assert output == "T1: Sunday the 14th of March at 9 AM with Sam"
    await call.say("Yes")
    await call.hang_up()
    assert "- Sunday 2027-03-14" in model.instructions_seen()
    [stored] = await appointments_in(db)
    assert stored.starts_at == datetime(2027, 3, 14, 13, 0, tzinfo=UTC)


def _call_in_own_thread(db, app_loop, model, caller, barrier, outputs):
    """One caller on its own thread and event loop, as LiveKit THREAD jobs run."""

    async def conversation():
        model.add(
            tool("check_availability", date="2026-12-01", staff="Sam"),
            "Options.",
            tool("book_appointment", option_id="T1"),
            "Done.",
        )
        call = await start_call(make_runtime(db, model, loop=app_loop), model, caller)
        await call.say("Tuesday with Sam")
        await asyncio.to_thread(barrier.wait, 10)
        result = await call.say("The first one")
        outputs[caller] = next(e.item for e in result.events if e.type == "function_call_output")
        await call.hang_up()

    asyncio.run(conversation())


async def test_two_calls_on_two_threads_race_for_one_slot(db, shop, new_model):
    """Two callers on two threads (the real bridge) take the same offered time at once: one
    books it, the other hears it was just taken; one appointment is stored."""
    await customers.create_customer(db, shop.business_id, phone="+12125550166", name="Eve")
    app_loop = asyncio.get_running_loop()
    barrier = threading.Barrier(2)
    outputs: dict[str, object] = {}
    await asyncio.gather(
        *[
            asyncio.to_thread(
                _call_in_own_thread, db, app_loop, await new_model(), caller, barrier, outputs
            )
            for caller in ("+12345678900", "+12125550166")
        ]
    )
    results = sorted(outputs.values(), key=lambda item: item.is_error)
    assert [r.is_error for r in results] == [False, True]
    assert results[0].output.startswith("Booked: Tuesday the 1st of December at 9 AM with Sam")
    assert "was just taken" in results[1].output
    assert len(await appointments_in(db)) == 1


@pytest.fixture
async def lock_database(db):
    """Call it to make another writer hold the database's write lock (SQLite) or lock the
    booking tables (PostgreSQL) until the test ends."""
    release = []

    async def lock():
        if db.is_sqlite:
            holder = sqlite3.connect(db.engine.url.database, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")
            release.append(lambda: holder.close())
        else:
            engine = create_async_engine(db.engine.url)
            connection = await engine.connect()
            await connection.execute(
                text("LOCK TABLE idempotency_records, appointments IN ACCESS EXCLUSIVE MODE")
            )

            async def unlock():
                await connection.rollback()
                await connection.close()
                await engine.dispose()

            release.append(unlock)

    yield lock
    for undo in release:
        outcome = undo()
        if asyncio.iscoroutine(outcome):
            await outcome


async def test_a_hanging_service_call_answers_within_the_timeout(
    db, shop, lock_database, new_model
):
    """When the database does not answer, book_appointment replies within the bridge timeout
    with a sentence for the caller, never silence."""
    model = await new_model()
    model.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "Options.",
        tool("book_appointment", option_id="T1"),
        "Sorry about that.",
    )
    runtime = make_runtime(db, model)
    call = await start_call(runtime, model, "+12345678900")
    await call.say("Tuesday with Sam")
    runtime.bridge.timeout = 0.5  # short only for the call that hangs: a busy machine is slow
    await lock_database()
    started = wall.perf_counter()
    result = await call.say("The first")
    elapsed = wall.perf_counter() - started
    result.expect.skip_next()
    output = result.expect.next_event().is_function_call_output(is_error=True).event().item
    assert "slow right now" in output.output
    assert elapsed < 3
    result.expect.next_event().is_message(role="assistant")
