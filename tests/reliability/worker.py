"""A separate OS process writing to a shared database: `python -m tests.reliability.worker CONFIG`.

Its one argument is a JSON object. Two modes:
- "contend": many tasks book, move and cancel overlapping times for the same staff members through
  the services; after "go" on stdin, prints one JSON report (outcomes by kind, final appointments).
- "stream": tasks book free-ish times through the HTTP API (in-process ASGI, Idempotency-Key) and
  print one JSON line per 201 the moment it is received, until killed or told "stop" (then
  every request in flight finishes and is reported, so every stored booking was acknowledged).
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from booking.db import Database
from booking.errors import SlotUnavailable
from booking.logging import configure_logging
from booking.services import appointments
from booking.services.appointments import AppointmentInfo, BookingRequest

Report = dict[str, Any]


def _say(line: object) -> None:
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def _window_time(rng: random.Random, window: tuple[int, ...], minutes: int) -> time:
    """A start on the 5-minute grid such that [start, start + minutes) ends inside the window."""
    first, last = window
    offset = rng.randrange(0, (last - first) * 60 - minutes + 1, 5)
    return time(first + offset // 60, offset % 60)


def _record(info: AppointmentInfo, status: str) -> dict[str, Any]:
    return {
        "staff_id": info.staff_id,
        "starts_at": info.starts_at.isoformat(),
        "ends_at": info.ends_at.isoformat(),
        "status": status,
    }


async def _contender(
    db: Database, config: Report, index: int, outcomes: Counter[str], final: dict[int, Any]
) -> None:
    rng = random.Random(f"{config['seed']}-{index}")
    now = datetime.fromisoformat(config["now"])
    days = [date.fromisoformat(d) for d in config["days"]]
    staff = [(int(s["id"]), [tuple(w) for w in s["windows"]]) for s in config["staff"]]
    mine: list[int] = []
    for _ in range(config["ops"]):
        staff_id, windows = rng.choice(staff)
        minutes = rng.choice([15, 30, 45])
        day = rng.choice(days)
        roll = rng.random()
        try:
            if mine and roll < 0.1:
                target = mine.pop(rng.randrange(len(mine)))
                info = await appointments.cancel(db, config["business_id"], target, now=now)
                final[info.id] = _record(info, "cancelled")
                outcomes["cancelled"] += 1
            elif mine and roll < 0.5:
                target = rng.choice(mine)
                info = await appointments.move(
                    db,
                    config["business_id"],
                    target,
                    local_date=day,
                    # mornings or afternoons; 45 minutes fits any of our durations
                    local_time=_window_time(rng, rng.choice(windows), 45),
                    staff_id=staff_id,
                    now=now,
                )
                final[info.id] = _record(info, "booked")
                outcomes["moved"] += 1
            else:
                request = BookingRequest(
                    business_id=config["business_id"],
                    customer_id=config["customer_id"],
                    staff_id=staff_id,
                    duration_minutes=minutes,
                    local_date=day,
                    local_time=_window_time(rng, windows[0], minutes),  # mornings only
                )
                info = await appointments.book(db, request, now=now)
                mine.append(info.id)
                final[info.id] = _record(info, "booked")
                outcomes["booked"] += 1
        except SlotUnavailable:
            outcomes["SlotUnavailable"] += 1
        except Exception as exc:  # reported, and the test fails on it
            outcomes[f"{type(exc).__name__}: {exc}"] += 1


async def contend(config: Report) -> Report:
    db = Database.from_url(config["url"], pool_size=config.get("pool_size", 5))
    try:
        async with db.read():  # connect before "go", so start-up is not part of the race
            pass
        _say("ready")
        go = await asyncio.to_thread(sys.stdin.readline)
        assert go.strip() == "go", go
        outcomes: Counter[str] = Counter()
        final: dict[int, Any] = {}
        await asyncio.gather(
            *(_contender(db, config, i, outcomes, final) for i in range(config["tasks"]))
        )
        return {"outcomes": dict(outcomes), "appointments": final}
    finally:
        await db.dispose()


async def stream(config: Report) -> None:
    import httpx

    from booking.api.app import create_app

    now = datetime.fromisoformat(config["now"])
    db = Database.from_url(config["url"], pool_size=config.get("pool_size", 5))
    app = create_app(db, clock=lambda: now)
    headers = {"Authorization": f"Bearer {config['token']}"}
    first_day = date.fromisoformat(config["first_day"])
    sent = iter(range(10**9))
    stop = asyncio.Event()

    async def booker(client: httpx.AsyncClient, index: int) -> None:
        rng = random.Random(f"{config['seed']}-{index}")
        while not stop.is_set():
            day = first_day + timedelta(days=rng.randrange(config["days"]))
            staff_id, window = rng.choice(
                [(int(s["id"]), tuple(w)) for s in config["staff"] for w in s["windows"]]
            )
            if day.weekday() not in _staff_weekdays(config, staff_id):
                continue
            key = f"{config['seed']}-{next(sent)}"
            response = await client.post(
                "/api/appointments",
                headers={**headers, "Idempotency-Key": key},
                json={
                    "business_id": config["business_id"],
                    "customer_id": config["customer_id"],
                    "staff_id": staff_id,
                    "appointment_date": day.isoformat(),
                    "appointment_time": _window_time(rng, window, 15).strftime("%H:%M"),
                    "duration_minutes": 15,
                },
            )
            if response.status_code == 201:
                body = response.json()
                _say(
                    {
                        "id": body["id"],
                        "key": key,
                        "staff_id": body["staff_id"],
                        "starts_at": body["starts_at"],
                        "ends_at": body["ends_at"],
                    }
                )
            elif response.status_code != 409:
                _say({"unexpected": response.status_code, "body": response.text})

    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://worker") as client:
            _say("ready")
            bookers = asyncio.gather(*(booker(client, i) for i in range(config["tasks"])))
            await asyncio.to_thread(sys.stdin.readline)  # "stop" or end of input
            stop.set()
            await bookers
    finally:
        await db.dispose()


def _staff_weekdays(config: Report, staff_id: int) -> set[int]:
    for member in config["staff"]:
        if int(member["id"]) == staff_id:
            return set(member["weekdays"])
    return set()


def main() -> None:
    configure_logging("warning", "json")  # to stderr: stdout carries only our JSON lines
    config = json.loads(sys.argv[1])
    if config["mode"] == "contend":
        _say(asyncio.run(contend(config)))
    else:
        asyncio.run(stream(config))


if __name__ == "__main__":
    main()
