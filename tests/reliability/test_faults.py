"""Faults: the database drops off the network or stays locked, and a process dies mid-stream.

The PostgreSQL server itself is never stopped (other work shares it): the app reaches it through a
proxy this test cuts. SIGTERM during a call is covered by tests/agent/test_signals.py.
"""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from booking.agent.sentences import SYSTEM_TROUBLE
from booking.api.app import create_app
from booking.db import Database
from booking.migrate import schema_state
from tests.agent.conftest import make_runtime, start_call
from tests.agent.scripted import ScriptedLLM, tool
from tests.conftest import NOW, _empty_postgres
from tests.factories import Shop, make_shop
from tests.reliability.checks import (
    book_after_recovery,
    half_written_rows,
    overlapping_pairs,
    sqlite_integrity,
    stored_appointments,
    utc,
)
from tests.reliability.processes import WorkerEnded, stream_config, workers
from tests.reliability.proxy import CuttableProxy

TUESDAY = "2026-12-01"


def _booking(shop: Shop, at: str) -> dict[str, Any]:
    return {
        "business_id": shop.business_id,
        "customer_id": shop.ada,
        "staff_id": shop.sam,
        "appointment_date": TUESDAY,
        "appointment_time": at,
        "duration_minutes": 30,
    }


def _assert_503_problem(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == 503
    assert body["code"] == "unavailable"
    assert "unavailable" in body["detail"]


def _tool_output(result: Any) -> Any:
    return next(e.item for e in result.events if e.type == "function_call_output")


@pytest.fixture
async def proxied(postgres_database: str) -> AsyncIterator[tuple[CuttableProxy, Database, Shop]]:
    """(proxy, the app's database reached through the proxy, a salon made directly)."""
    await _empty_postgres(postgres_database)
    direct = Database.from_url(postgres_database)
    shop = await make_shop(direct)
    await direct.dispose()
    server = make_url(postgres_database)
    proxy = CuttableProxy(server.host or "127.0.0.1", server.port or 5432)
    await proxy.start()
    url = server.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    db = Database.from_url(url, pool_size=3)
    yield proxy, db, shop
    await db.dispose()
    await proxy.close()


async def test_postgres_cut_off_gives_503_and_a_sentence_then_recovers(proxied):
    """PostgreSQL drops off the network mid-run (every connection reset, new ones refused): the
    API answers 503 problem details, /health says the database is unreachable, and a caller who
    was being offered times hears a sentence; once the network is back, the next request and the
    next tool call succeed on the same engine, without a restart."""
    proxy, db, shop = proxied
    app = create_app(db, clock=lambda: NOW)
    headers = {"Authorization": f"Bearer {shop.token}"}
    model = ScriptedLLM(
        [
            tool("check_availability", date=TUESDAY, staff="Sam"),
            "I have 9 AM.",
            tool("book_appointment", option_id="T1"),
            "Sorry, our system is down.",
            tool("book_appointment", option_id="T1"),
            "Booked.",
        ]
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        slots = f"/api/appointments/staff/{shop.sam}/slots?start_date={TUESDAY}"
        assert (await client.get(slots, headers=headers)).status_code == 200
        call = await start_call(make_runtime(db, model), model, "+12345678900")
        await call.say("Tuesday morning with Sam")

        await proxy.cut()
        _assert_503_problem(
            await client.post("/api/appointments", json=_booking(shop, "10:00"), headers=headers)
        )
        _assert_503_problem(await client.get(slots, headers=headers))
        health = await client.get("/health")
        assert health.status_code == 503
        assert health.json()["database"]["state"] == "unreachable"
        refused = _tool_output(await call.say("The 9 AM, please"))
        assert refused.is_error
        assert refused.output == SYSTEM_TROUBLE

        await proxy.restore()
        created = await client.post(
            "/api/appointments", json=_booking(shop, "10:00"), headers=headers
        )
        assert created.status_code == 201, created.text
        booked = _tool_output(await call.say("Could you try again?"))
        assert not booked.is_error
        assert booked.output.startswith("Booked: Tuesday the 1st of December at 9 AM with Sam")
        await call.hang_up()
    times = sorted(row[1] for row in (await stored_appointments(db)).values())
    assert [t.strftime("%H:%M") for t in times] == ["14:00", "15:00"]  # 9 and 10 AM in New York


async def test_postgres_cut_off_during_a_booking_gives_503_and_stores_nothing(
    proxied, postgres_database: str
):
    """The network drops while a booking's transaction is open on the server (it waits on a
    table lock held by another session): the request answers 503 problem details, nothing is
    stored, and the same booking succeeds once the network is back."""
    proxy, db, shop = proxied
    app = create_app(db, clock=lambda: NOW)
    headers = {"Authorization": f"Bearer {shop.token}"}
    blocker = create_async_engine(postgres_database)
    transport = httpx.ASGITransport(app=app)
    try:
        async with (
            blocker.connect() as lock,
            httpx.AsyncClient(transport=transport, base_url="http://test") as client,
        ):
            await lock.execute(text("LOCK TABLE appointments IN ACCESS EXCLUSIVE MODE"))
            booking = client.post(
                "/api/appointments", json=_booking(shop, "10:00"), headers=headers
            )
            in_flight = asyncio.create_task(booking)
            await _until_waiting_on_a_lock(lock)
            await proxy.cut()
            _assert_503_problem(await asyncio.wait_for(in_flight, 10))
            await lock.rollback()
            await proxy.restore()
            assert await stored_appointments(db) == {}
            retried = await client.post(
                "/api/appointments", json=_booking(shop, "10:00"), headers=headers
            )
            assert retried.status_code == 201, retried.text
    finally:
        await blocker.dispose()


async def _until_waiting_on_a_lock(connection: Any) -> None:
    """Return once another session waits on a lock (the booking reached its transaction)."""
    async with asyncio.timeout(10):
        while True:
            waiting = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
                    "WHERE NOT l.granted AND d.datname = current_database()"
                )
            )
            if waiting:
                return
            await asyncio.sleep(0.02)


async def test_sqlite_write_lock_held_past_the_busy_timeout_gives_503_then_recovers(
    sqlite_template: Path, tmp_path: Path
):
    """Another connection holds the SQLite write lock longer than the busy timeout: a booking
    through the API answers 503 problem details and a phone booking answers with a sentence, while
    reads still work (WAL); once the lock is released the same booking succeeds."""
    path = tmp_path / "booking.db"
    shutil.copy(sqlite_template, path)
    db = Database.from_url(f"sqlite+aiosqlite:///{path}", busy_timeout_ms=300)
    try:
        shop = await make_shop(db)
        app = create_app(db, clock=lambda: NOW)
        headers = {"Authorization": f"Bearer {shop.token}"}
        model = ScriptedLLM(
            [
                tool("check_availability", date=TUESDAY, staff="Sam"),
                "I have 9 AM.",
                tool("book_appointment", option_id="T1"),
                "Sorry.",
            ]
        )
        call = await start_call(make_runtime(db, model), model, "+12345678900")
        await call.say("Tuesday morning with Sam")
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            booking = _booking(shop, "10:00")
            try:
                _assert_503_problem(
                    await client.post("/api/appointments", json=booking, headers=headers)
                )
                slots = f"/api/appointments/staff/{shop.sam}/slots?start_date={TUESDAY}"
                assert (await client.get(slots, headers=headers)).status_code == 200
                refused = _tool_output(await call.say("The 9 AM, please"))
                assert refused.is_error
                assert refused.output == SYSTEM_TROUBLE
            finally:
                holder.rollback()
                holder.close()
            created = await client.post("/api/appointments", json=booking, headers=headers)
            assert created.status_code == 201, created.text
        await call.hang_up()
    finally:
        await db.dispose()


@pytest.mark.processes
async def test_sigkill_during_a_stream_of_bookings_leaves_a_sound_database(
    database_url: str, tmp_path: Path
):
    """A process booking through the HTTP API (four concurrent clients, Idempotency-Key on each)
    is killed with SIGKILL mid-stream: the database passes SQLite's integrity and foreign-key
    checks, nothing overlaps, no half-written rows remain (every key record has its appointment
    and the reverse), every booking acknowledged with a 201 before the kill is stored with its
    time, and the database opens and takes a booking again at once."""
    db = Database.from_url(database_url)
    shop = await make_shop(db)
    await db.dispose()
    stream = stream_config(shop, database_url, "kill")
    async with workers([stream], tmp_path) as [worker]:
        assert await worker.line() == "ready"
        acknowledged = [await worker.line() for _ in range(25)]
        await worker.kill()  # SIGKILL, with bookings in flight
        while True:  # acknowledgements printed before the kill count too
            try:
                acknowledged.append(await worker.line(within=5))
            except WorkerEnded:
                break
    assert all("unexpected" not in line for line in acknowledged), acknowledged

    if database_url.startswith("sqlite"):
        assert sqlite_integrity(Path(make_url(database_url).database or "")) == ["ok"]
    db = Database.from_url(database_url)
    try:
        assert await schema_state(db.engine) == "current"
        assert await overlapping_pairs(db) == []
        assert await half_written_rows(db) == []
        stored = await stored_appointments(db)
        for ack in acknowledged:
            assert ack["id"] in stored, ack
            staff_id, starts_at, ends_at, status = stored[ack["id"]]
            assert (staff_id, starts_at, ends_at, status) == (
                ack["staff_id"],
                utc(ack["starts_at"]),
                utc(ack["ends_at"]),
                "booked",
            )
        assert await book_after_recovery(db, shop) in await stored_appointments(db)
    finally:
        await db.dispose()
