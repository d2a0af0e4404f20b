"""The admin API: a business set up and run over HTTP, with stored rows checked."""

from __future__ import annotations

import json
from datetime import date, time

from sqlalchemy import func, select

from booking.models import (
    Appointment,
    AppointmentStatus,
    Call,
    Customer,
    DateOverride,
    IdempotencyRecord,
    Message,
    Service,
    Staff,
    ToolCall,
    WebhookDelivery,
    WebhookSubscription,
    WeeklyHours,
    staff_services,
)
from booking.services import calls

PROBLEM = "application/problem+json"


async def book(client, auth, shop, **changes):
    body = {
        "business_id": shop.business_id,
        "customer_id": shop.ada,
        "staff_id": shop.sam,
        "appointment_date": "2026-12-01",
        "appointment_time": "10:00",
        "duration_minutes": 30,
        **changes,
    }
    response = await client.post("/api/appointments", json=body, headers=auth)
    assert response.status_code == 201, response.text
    return response.json()


async def test_business_settings_read_and_update(client, shop, auth):
    """Settings are read and changed; a bad value is 422 naming its field."""
    read = await client.get("/api/business", headers=auth)
    assert read.status_code == 200
    assert read.json()["timezone"] == "America/New_York"
    changed = await client.patch(
        "/api/business",
        json={"name": "Renamed Salon", "slot_step_minutes": 30, "numbers": ["212-555-0101"]},
        headers=auth,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["name"] == "Renamed Salon"
    assert changed.json()["numbers"] == ["+12125550101"]
    bad = await client.patch("/api/business", json={"timezone": "Mars/Olympus"}, headers=auth)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "timezone"
    bad_step = await client.patch("/api/business", json={"slot_step_minutes": 1}, headers=auth)
    assert bad_step.json()["errors"][0]["field"] == "slot_step_minutes"
    # Calls outlive one Gemini Live connection (goAway and resumption), up to 30 minutes.
    too_long = await client.patch("/api/business", json={"max_call_seconds": 1801}, headers=auth)
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "max_call_seconds"
    half_hour = await client.patch("/api/business", json={"max_call_seconds": 1800}, headers=auth)
    assert half_hour.status_code == 200, half_hour.text
    assert half_hour.json()["max_call_seconds"] == 1800


async def test_changing_time_zone_keeps_instants(client, db, shop, auth):
    """With a future booking, a new time zone must say what bookings keep; keeping instants,
    the appointment's instant stays and only its local reading changes."""
    booked = await book(client, auth, shop)
    undecided = await client.patch(
        "/api/business", json={"timezone": "Europe/London"}, headers=auth
    )
    assert undecided.status_code == 409
    assert "appointments_keep=local_times" in undecided.json()["detail"]
    kept = await client.patch(
        "/api/business?appointments_keep=instants", json={"timezone": "Europe/London"},
        headers=auth,
    )  # fmt: skip
    assert kept.status_code == 200, kept.text
    read = await client.get(f"/api/appointments/{booked['id']}", headers=auth)
    assert read.json()["starts_at"] == booked["starts_at"] == "2026-12-01T15:00:00Z"
    assert read.json()["appointment_time"] == "15:00"


async def test_closures_remove_availability(client, shop, auth):
    """A closure makes the business's days unavailable; removing it reopens them."""
    created = await client.post(
        "/api/business/closures",
        json={"starts_on": "2026-12-01", "ends_on": "2026-12-02", "reason": "Holiday"},
        headers=auth,
    )
    assert created.status_code == 201
    free = await client.get(
        "/api/availability",
        params={"start_date": "2026-12-01", "end_date": "2026-12-03"},
        headers=auth,
    )
    assert {s["date"] for s in free.json()["slots"]} == {"2026-12-03"}
    listed = await client.get("/api/business/closures", headers=auth)
    assert [c["reason"] for c in listed.json()] == ["Holiday"]
    gone = await client.delete(f"/api/business/closures/{created.json()['id']}", headers=auth)
    assert gone.status_code == 204
    backwards = await client.post(
        "/api/business/closures",
        json={"starts_on": "2026-12-05", "ends_on": "2026-12-01"},
        headers=auth,
    )
    assert backwards.status_code == 422


async def test_staff_lifecycle_hours_and_overrides(client, shop, auth):
    """Create a member with hours; replace hours; a day off and special hours; deactivate."""
    created = await client.post(
        "/api/staff",
        json={
            "name": "Robin",
            "service_ids": [shop.trim],
            "hours": {
                "days": [
                    {
                        "weekday": "tuesday",
                        "intervals": [
                            {"opens_at": "09:00", "closes_at": "12:00"},
                            {"opens_at": "13:00", "closes_at": "15:00"},
                        ],
                    }
                ]
            },
        },
        headers=auth,
    )
    assert created.status_code == 201, created.text
    robin = created.json()["id"]
    overlapping = await client.put(
        f"/api/staff/{robin}/hours",
        json={
            "days": [
                {
                    "weekday": "monday",
                    "intervals": [
                        {"opens_at": "09:00", "closes_at": "12:00"},
                        {"opens_at": "11:00", "closes_at": "13:00"},
                    ],
                }
            ]
        },
        headers=auth,
    )
    assert overlapping.status_code == 422
    hours = await client.get(f"/api/staff/{robin}/hours", headers=auth)
    assert [d["weekday"] for d in hours.json()["days"]] == ["tuesday"]
    day_off = await client.post(
        f"/api/staff/{robin}/overrides", json={"date": "2026-12-01"}, headers=auth
    )
    assert day_off.status_code == 201 and day_off.json()["closed"] is True
    free = await client.get(
        "/api/availability", params={"start_date": "2026-12-01", "staff_id": robin}, headers=auth
    )
    assert free.json()["slots"] == []
    special = await client.post(
        f"/api/staff/{robin}/overrides",
        json={"date": "2026-12-01", "intervals": [{"opens_at": "16:00", "closes_at": "17:00"}]},
        headers=auth,
    )
    assert special.json()["closed"] is False
    free = await client.get(
        "/api/availability", params={"start_date": "2026-12-01", "staff_id": robin}, headers=auth
    )
    assert [s["time"] for s in free.json()["slots"]] == ["16:00", "16:15", "16:30"]
    removed = await client.delete(f"/api/staff/{robin}/overrides/2026-12-01", headers=auth)
    assert removed.status_code == 204
    deactivated = await client.delete(f"/api/staff/{robin}", headers=auth)
    assert deactivated.json()["active"] is False
    free = await client.get(
        "/api/availability", params={"start_date": "2026-12-01", "staff_id": robin}, headers=auth
    )
    assert free.json()["slots"] == []
    listed = await client.get("/api/staff", headers=auth)
    assert robin not in [m["id"] for m in listed.json()]
    everyone = await client.get("/api/staff", params={"include_inactive": "true"}, headers=auth)
    assert robin in [m["id"] for m in everyone.json()]


async def test_services_create_update_retire(client, shop, auth):
    """Services are created, changed and retired; bad durations name the field."""
    created = await client.post(
        "/api/services", json={"name": "Shave", "duration_minutes": 20}, headers=auth
    )
    assert created.status_code == 201
    service = created.json()["id"]
    changed = await client.patch(
        f"/api/services/{service}", json={"buffer_minutes": 5}, headers=auth
    )
    assert changed.json()["buffer_minutes"] == 5
    bad = await client.post(
        "/api/services", json={"name": "Forever", "duration_minutes": 9999}, headers=auth
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "duration_minutes"
    retired = await client.delete(f"/api/services/{service}", headers=auth)
    assert retired.json()["active"] is False
    names = [s["name"] for s in (await client.get("/api/services", headers=auth)).json()]
    assert "Shave" not in names


async def test_book_by_service_uses_its_duration_and_buffer(client, shop, auth):
    """Booking by service_id takes the service's duration; its buffer blocks the next start."""
    booked = await book(client, auth, shop, service_id=shop.haircut, duration_minutes=None)
    assert booked["duration_minutes"] == 30 and booked["service_name"] == "Haircut"
    free = await client.get(
        "/api/availability",
        params={"start_date": "2026-12-01", "staff_id": shop.sam, "duration_minutes": 30},
        headers=auth,
    )
    times = [s["time"] for s in free.json()["slots"]]
    assert "10:30" not in times and "10:45" in times


async def test_customer_search_and_pagination(client, db, shop, auth):
    """Customers are found by name or by phone in any format, a page at a time."""
    for n in range(5):
        await client.post(
            "/api/customers",
            json={"business_id": shop.business_id, "phone": f"+1212555012{n}", "name": f"Zed {n}"},
            headers=auth,
        )
    page = await client.get(
        "/api/customers", params={"q": "zed", "page": 2, "page_size": 2}, headers=auth
    )
    assert page.json()["total"] == 5
    assert [c["name"] for c in page.json()["items"]] == ["Zed 2", "Zed 3"]
    by_phone = await client.get("/api/customers", params={"q": "(212) 555-0123"}, headers=auth)
    assert [c["name"] for c in by_phone.json()["items"]] == ["Zed 3"]
    too_big = await client.get("/api/customers", params={"page_size": 1000}, headers=auth)
    assert too_big.status_code in (400, 422)


async def test_customer_read_update(client, shop, auth):
    """A customer is read with their appointments and updated; a taken phone is 409."""
    booked = await book(client, auth, shop)
    read = await client.get(f"/api/customers/{shop.ada}", headers=auth)
    assert [a["id"] for a in read.json()["appointments"]] == [booked["id"]]
    changed = await client.patch(
        f"/api/customers/{shop.ada}", json={"email": "ada@example.com"}, headers=auth
    )
    assert changed.json()["email"] == "ada@example.com"
    other = await client.post(
        "/api/customers",
        json={"business_id": shop.business_id, "phone": "+12125550133", "name": "Other"},
        headers=auth,
    )
    clash = await client.patch(
        f"/api/customers/{other.json()['id']}", json={"phone": "234-567-8900"}, headers=auth
    )
    assert clash.status_code == 409
    bad_email = await client.patch(
        f"/api/customers/{shop.ada}", json={"email": "not-an-email"}, headers=auth
    )
    assert bad_email.status_code == 422 and bad_email.json()["errors"][0]["field"] == "email"


async def test_erasing_a_customer_removes_everything_naming_them(client, db, shop, auth):
    """Deleting a customer removes their record, call numbers, transcripts, tool arguments,
    messages and idempotency answers; future bookings are cancelled, past ones kept nameless;
    webhook deliveries stay, but their payloads no longer hold the name, number or message."""
    hook = await client.post(
        "/api/webhooks",
        json={"url": "https://hooks.example/in", "events": ["appointment.booked", "message.taken"]},
        headers=auth,
    )
    assert hook.status_code == 201, hook.text
    future = await book(client, auth, shop)
    retried = await client.post(
        "/api/appointments",
        json={
            "business_id": shop.business_id,
            "customer_id": shop.ada,
            "staff_id": shop.alex,
            "appointment_date": "2026-12-02",
            "appointment_time": "11:00",
        },
        headers={**auth, "Idempotency-Key": "erase-me"},
    )
    assert retried.status_code == 201
    call_id = await calls.start_call(
        db,
        shop.business_id,
        room_name="r",
        caller_number="+12345678900",
        dialled_number=None,
        customer_id=shop.ada,
        verified=True,
    )
    await calls.append_transcript(db, call_id, [{"role": "user", "text": "I'm Ada"}])
    await calls.record_tool_call(
        db,
        call_id,
        name="create_new_customer",
        arguments={"name": "Ada"},
        result="ok",
        error=None,
        latency_ms=1.0,
    )
    await calls.take_message(
        db,
        shop.business_id,
        body="call me",
        caller_name="Ada",
        customer_id=shop.ada,
        callback_number="+12345678900",
        call_id=call_id,
    )
    await calls.take_message(
        db, shop.business_id, body="Ada here again", callback_number="+12345678900"
    )
    async with db.read() as session:
        sent = {d.id: d.payload for d in await session.scalars(select(WebhookDelivery))}
    assert sorted(p["event"] for p in sent.values()) == [
        "appointment.booked",
        "appointment.booked",
        "message.taken",
        "message.taken",
    ]
    assert all("2345678900" in json.dumps(p) for p in sent.values())
    erased = await client.delete(f"/api/customers/{shop.ada}", headers=auth)
    assert erased.status_code == 204
    async with db.read() as session:
        assert await session.get(Customer, shop.ada) is None
        call = await session.get(Call, call_id)
        assert call.caller_number is None and call.transcript == [] and call.customer_id is None
        tool_row = (await session.scalars(select(ToolCall))).one()
        assert tool_row.arguments is None and tool_row.result is None
        assert await session.scalar(select(func.count()).select_from(Message)) == 0
        appointment = await session.get(Appointment, future["id"])
        assert appointment.customer_id is None
        assert appointment.status == AppointmentStatus.CANCELLED
        from booking.models import IdempotencyRecord

        assert await session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
        kept = {d.id: d.payload for d in await session.scalars(select(WebhookDelivery))}
    assert kept.keys() == sent.keys()
    for delivery_id, payload in kept.items():
        text = json.dumps(payload)
        for personal in ("Ada", "2345678900", "call me"):
            assert personal not in text, (personal, payload)
        assert payload["event"] == sent[delivery_id]["event"]
        before, after = sent[delivery_id]["data"], payload["data"]
        if payload["event"] == "appointment.booked":
            assert after["customer"] == {"id": shop.ada, "name": None, "phone": None}
            assert after["appointment_id"] == before["appointment_id"]
        else:
            assert after["message_id"] == before["message_id"]
            assert not after["body"] and not after["caller_name"] and not after["callback_number"]
    assert (await client.get(f"/api/customers/{shop.ada}", headers=auth)).status_code == 404


async def test_appointment_list_move_cancel_and_mark(client, week_later, db, shop, auth):
    """Appointments are listed by local date and staff, moved, cancelled and marked."""
    first = await book(client, auth, shop)
    second = await book(client, auth, shop, appointment_time="11:00")
    await book(client, auth, shop, appointment_date="2026-12-03", staff_id=shop.alex)
    listed = await client.get(
        "/api/appointments",
        params={"start_date": "2026-12-01", "end_date": "2026-12-01", "staff_id": shop.sam},
        headers=auth,
    )
    assert [a["id"] for a in listed.json()["items"]] == [first["id"], second["id"]]
    moved = await client.patch(
        f"/api/appointments/{first['id']}",
        json={"appointment_date": "2026-12-01", "appointment_time": "14:00"},
        headers=auth,
    )
    assert moved.status_code == 200 and moved.json()["appointment_time"] == "14:00"
    clash = await client.patch(
        f"/api/appointments/{first['id']}",
        json={"appointment_date": "2026-12-01", "appointment_time": "11:00"},
        headers=auth,
    )
    assert clash.status_code == 409
    still = await client.get(f"/api/appointments/{first['id']}", headers=auth)
    assert still.json()["appointment_time"] == "14:00"
    cancelled = await client.post(f"/api/appointments/{second['id']}/cancel", headers=auth)
    assert cancelled.json()["status"] == "cancelled"
    again = await client.post(f"/api/appointments/{second['id']}/cancel", headers=auth)
    assert again.status_code == 409
    marked = await week_later.post(f"/api/appointments/{first['id']}/status/no_show", headers=auth)
    assert marked.json()["status"] == "no_show"
    bad = await week_later.post(f"/api/appointments/{first['id']}/status/booked", headers=auth)
    assert bad.status_code == 422
    only_cancelled = await client.get(
        "/api/appointments", params={"status": "cancelled"}, headers=auth
    )
    assert [a["id"] for a in only_cancelled.json()["items"]] == [second["id"]]


async def test_availability_for_a_service_across_staff(client, shop, auth):
    """Asking for a service searches every active member who performs it, in local time."""
    free = await client.get(
        "/api/availability",
        params={"start_date": "2026-12-01", "service_id": shop.colour},
        headers=auth,
    )
    assert free.status_code == 200
    assert {s["staff_name"] for s in free.json()["slots"]} == {"Alex"}
    assert free.json()["duration_minutes"] == 90
    first = free.json()["slots"][0]
    assert first["time"] == "10:00" and first["starts_at"] == "2026-12-01T15:00:00Z"


async def test_unknown_and_foreign_ids_are_404(client, db, shop, auth):
    """Unknown ids, and ids belonging to another business, are 404 on every read route."""
    from booking.services import businesses, staff, tokens

    other = await businesses.create_business(db, name="Other", timezone="UTC", region="GB")
    other_staff = await staff.create_staff(db, other.id, "Kim")
    for path in [
        f"/api/staff/{other_staff.id}",
        f"/api/staff/{other_staff.id}/hours",
        "/api/staff/999999",
        "/api/services/999999",
        "/api/customers/999999",
        "/api/appointments/999999",
    ]:
        response = await client.get(path, headers=auth)
        assert response.status_code == 404, path
        assert response.headers["content-type"].startswith(PROBLEM)
    other_token = (await tokens.create_token(db, other.id, "x")).secret
    theirs = await client.get(
        f"/api/customers/{shop.ada}", headers={"Authorization": f"Bearer {other_token}"}
    )
    assert theirs.status_code == 404


async def test_replacing_a_members_services(client, db, shop, auth):
    """PUT services replaces the set a member performs, in the answer and in the stored links;
    a service named twice is stored once."""
    replaced = await client.put(
        f"/api/staff/{shop.sam}/services",
        json={"service_ids": [shop.colour, shop.trim, shop.colour]},
        headers=auth,
    )
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["id"] == shop.sam
    assert replaced.json()["service_ids"] == sorted([shop.colour, shop.trim])
    async with db.read() as session:
        stored = list(
            await session.scalars(
                select(staff_services.c.service_id)
                .where(staff_services.c.staff_id == shop.sam)
                .order_by(staff_services.c.service_id)
            )
        )
        alex = list(
            await session.scalars(
                select(staff_services.c.service_id).where(staff_services.c.staff_id == shop.alex)
            )
        )
    assert stored == sorted([shop.colour, shop.trim])
    assert sorted(alex) == sorted([shop.haircut, shop.trim, shop.colour])
    read = await client.get(f"/api/staff/{shop.sam}", headers=auth)
    assert read.json()["service_ids"] == sorted([shop.colour, shop.trim])


async def test_patching_a_member_renames_deactivates_and_changes_services(client, db, shop, auth):
    """PATCH changes only the fields sent: a trimmed new name, active, and the services;
    fields left out keep their stored value."""
    renamed = await client.patch(
        f"/api/staff/{shop.sam}", json={"name": "  Samira  "}, headers=auth
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Samira"
    assert renamed.json()["active"] is True
    assert renamed.json()["service_ids"] == sorted([shop.haircut, shop.trim])
    paused = await client.patch(
        f"/api/staff/{shop.sam}",
        json={"active": False, "service_ids": [shop.trim]},
        headers=auth,
    )
    assert paused.status_code == 200, paused.text
    assert paused.json()["name"] == "Samira"
    assert paused.json()["active"] is False
    assert paused.json()["service_ids"] == [shop.trim]
    async with db.read() as session:
        member = await session.get(Staff, shop.sam)
        assert (member.name, member.active) == ("Samira", False)
        assert [s.id for s in member.services] == [shop.trim]
        hours = await session.scalar(
            select(func.count()).select_from(WeeklyHours).where(WeeklyHours.staff_id == shop.sam)
        )
    assert hours == 10  # two intervals on each of five days, untouched
    back = await client.patch(f"/api/staff/{shop.sam}", json={"active": True}, headers=auth)
    assert back.json()["active"] is True
    async with db.read() as session:
        assert (await session.get(Staff, shop.sam)).active is True
    blank = await client.patch(f"/api/staff/{shop.sam}", json={"name": "   "}, headers=auth)
    assert blank.status_code == 422
    assert blank.json()["errors"][0]["field"] == "name"
    async with db.read() as session:
        assert (await session.get(Staff, shop.sam)).name == "Samira"


async def test_listing_a_members_overrides(client, db, shop, auth):
    """GET overrides lists each date once, in date order: a day off with its reason, and
    special hours with both their intervals, as stored."""
    special = await client.post(
        f"/api/staff/{shop.sam}/overrides",
        json={
            "date": "2026-12-10",
            "intervals": [
                {"opens_at": "14:00", "closes_at": "16:00"},
                {"opens_at": "08:00", "closes_at": "10:00"},
            ],
            "reason": "Late start",
        },
        headers=auth,
    )
    assert special.status_code == 201, special.text
    day_off = await client.post(
        f"/api/staff/{shop.sam}/overrides",
        json={"date": "2026-12-08", "reason": "Dentist"},
        headers=auth,
    )
    assert day_off.status_code == 201, day_off.text
    listed = await client.get(f"/api/staff/{shop.sam}/overrides", headers=auth)
    assert listed.status_code == 200, listed.text
    assert listed.json() == [
        {"date": "2026-12-08", "closed": True, "intervals": [], "reason": "Dentist"},
        {
            "date": "2026-12-10",
            "closed": False,
            "intervals": [
                {"opens_at": "08:00", "closes_at": "10:00"},
                {"opens_at": "14:00", "closes_at": "16:00"},
            ],
            "reason": "Late start",
        },
    ]
    async with db.read() as session:
        rows = (
            await session.execute(
                select(
                    DateOverride.on_date,
                    DateOverride.opens_at,
                    DateOverride.closes_at,
                    DateOverride.reason,
                )
                .where(DateOverride.staff_id == shop.sam)
                .order_by(DateOverride.on_date, DateOverride.opens_at)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        (date(2026, 12, 8), None, None, "Dentist"),
        (date(2026, 12, 10), time(8), time(10), "Late start"),
        (date(2026, 12, 10), time(14), time(16), "Late start"),
    ]
    alex = await client.get(f"/api/staff/{shop.alex}/overrides", headers=auth)
    assert alex.status_code == 200 and alex.json() == []


async def test_replacing_hours_with_a_lunch_break(client, db, shop, auth):
    """PUT hours with two intervals on one day replaces the whole week; GET gives back exactly
    those intervals, and only they are stored."""
    replaced = await client.put(
        f"/api/staff/{shop.alex}/hours",
        json={
            "days": [
                {
                    "weekday": "wednesday",
                    "intervals": [
                        {"opens_at": "13:00", "closes_at": "17:30"},
                        {"opens_at": "08:30", "closes_at": "12:00"},
                    ],
                }
            ]
        },
        headers=auth,
    )
    assert replaced.status_code == 200, replaced.text
    expected = {
        "days": [
            {
                "weekday": "wednesday",
                "intervals": [
                    {"opens_at": "08:30", "closes_at": "12:00"},
                    {"opens_at": "13:00", "closes_at": "17:30"},
                ],
            }
        ]
    }
    assert replaced.json() == expected
    read = await client.get(f"/api/staff/{shop.alex}/hours", headers=auth)
    assert read.status_code == 200
    assert read.json() == expected
    async with db.read() as session:
        rows = (
            await session.execute(
                select(WeeklyHours.weekday, WeeklyHours.opens_at, WeeklyHours.closes_at)
                .where(WeeklyHours.staff_id == shop.alex)
                .order_by(WeeklyHours.weekday, WeeklyHours.opens_at)
            )
        ).all()
        sams = await session.scalar(
            select(func.count()).select_from(WeeklyHours).where(WeeklyHours.staff_id == shop.sam)
        )
    assert [tuple(r) for r in rows] == [(2, time(8, 30), time(12)), (2, time(13), time(17, 30))]
    assert sams == 10
    free = await client.get(
        "/api/availability",
        params={"start_date": "2026-12-02", "staff_id": shop.alex, "duration_minutes": 30},
        headers=auth,
    )
    times = [s["time"] for s in free.json()["slots"]]
    assert times[0] == "08:30" and "11:30" in times and "12:00" not in times
    assert "12:30" not in times and "13:00" in times and times[-1] == "17:00"


async def test_reading_one_service(client, db, shop, auth):
    """GET a service gives its stored name, duration, buffer and active flag; a retired one is
    still readable by id."""
    read = await client.get(f"/api/services/{shop.haircut}", headers=auth)
    assert read.status_code == 200, read.text
    async with db.read() as session:
        stored = await session.get(Service, shop.haircut)
    assert read.json() == {
        "id": stored.id,
        "name": stored.name,
        "duration_minutes": stored.duration_minutes,
        "buffer_minutes": stored.buffer_minutes,
        "active": stored.active,
        "price_minor": stored.price_minor,
        "currency": stored.currency,
        "description": stored.description,
    }
    assert read.json() == {
        "id": shop.haircut,
        "name": "Haircut",
        "duration_minutes": 30,
        "buffer_minutes": 10,
        "active": True,
        "price_minor": None,
        "currency": None,
        "description": "",
    }
    await client.delete(f"/api/services/{shop.colour}", headers=auth)
    retired = await client.get(f"/api/services/{shop.colour}", headers=auth)
    assert retired.status_code == 200 and retired.json()["active"] is False
    async with db.read() as session:
        assert (await session.get(Service, shop.colour)).active is False


async def test_deleting_a_webhook_stops_its_deliveries(client, db, shop, auth):
    """DELETE removes the subscription and its queued deliveries; a later booking queues none,
    and the subscription is 404 from then on."""
    created = await client.post(
        "/api/webhooks",
        json={"url": "https://hooks.example/in", "events": ["appointment.booked"]},
        headers=auth,
    )
    assert created.status_code == 201, created.text
    hook = created.json()["id"]
    await book(client, auth, shop)
    async with db.read() as session:
        queued = await session.scalar(select(func.count()).select_from(WebhookDelivery))
    assert queued == 1
    removed = await client.delete(f"/api/webhooks/{hook}", headers=auth)
    assert removed.status_code == 204
    await book(client, auth, shop, appointment_time="11:00")
    async with db.read() as session:
        assert await session.get(WebhookSubscription, hook) is None
        assert await session.scalar(select(func.count()).select_from(WebhookSubscription)) == 0
        assert await session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 2
    assert (await client.get("/api/webhooks", headers=auth)).json() == []
    gone = await client.get(f"/api/webhooks/{hook}/deliveries", headers=auth)
    assert gone.status_code == 404 and gone.headers["content-type"].startswith(PROBLEM)
    again = await client.delete(f"/api/webhooks/{hook}", headers=auth)
    assert again.status_code == 404


async def test_marking_completed_and_no_show(client, week_later, db, shop, auth):
    """Once they have happened, POST status/completed and status/no_show answer the appointment
    with its new status and store it; other appointments are untouched."""
    done = await book(client, auth, shop)
    missed = await book(client, auth, shop, appointment_time="11:00")
    untouched = await book(client, auth, shop, appointment_time="14:00")
    completed = await week_later.post(
        f"/api/appointments/{done['id']}/status/completed", headers=auth
    )
    assert completed.status_code == 200, completed.text
    assert completed.json()["id"] == done["id"]
    assert completed.json()["status"] == "completed"
    assert completed.json()["starts_at"] == done["starts_at"]
    no_show = await week_later.post(
        f"/api/appointments/{missed['id']}/status/no_show", headers=auth
    )
    assert no_show.status_code == 200, no_show.text
    assert no_show.json()["status"] == "no_show"
    async with db.read() as session:
        statuses = dict((await session.execute(select(Appointment.id, Appointment.status))).all())
    assert statuses == {
        done["id"]: AppointmentStatus.COMPLETED,
        missed["id"]: AppointmentStatus.NO_SHOW,
        untouched["id"]: AppointmentStatus.BOOKED,
    }
    read = await client.get(f"/api/appointments/{done['id']}", headers=auth)
    assert read.json()["status"] == "completed"


async def test_appointment_list_pages_in_a_stable_order(client, db, shop, auth):
    """Pages follow start time then id, so ties never repeat or skip across pages; each page
    carries the total, its number and size."""
    booked = [
        await book(client, auth, shop, appointment_time="10:00"),
        await book(client, auth, shop, staff_id=shop.alex, appointment_time="10:00"),
        await book(client, auth, shop, appointment_time="11:00"),
        await book(client, auth, shop, staff_id=shop.alex, appointment_time="11:00"),
        await book(client, auth, shop, appointment_date="2026-12-02", appointment_time="09:00"),
    ]
    # Booked last but starting before the 2 December one: order is by start, not by id.
    afternoon = await book(client, auth, shop, staff_id=shop.alex, appointment_time="13:30")
    async with db.read() as session:
        stored = list(
            await session.scalars(
                select(Appointment.id).order_by(Appointment.starts_at, Appointment.id)
            )
        )
    assert len(stored) == 6
    pages = []
    for number in (1, 2, 3):
        page = await client.get(
            "/api/appointments", params={"page": number, "page_size": 2}, headers=auth
        )
        assert page.status_code == 200, page.text
        body = page.json()
        assert (body["total"], body["page"], body["page_size"]) == (6, number, 2)
        pages.append([a["id"] for a in body["items"]])
    assert [i for p in pages for i in p] == stored
    assert pages[0] == [booked[0]["id"], booked[1]["id"]]  # the 10:00 tie, by id
    assert pages[1] == [booked[2]["id"], booked[3]["id"]]
    assert pages[2] == [afternoon["id"], booked[4]["id"]]
    beyond = await client.get("/api/appointments", params={"page": 4, "page_size": 2}, headers=auth)
    assert beyond.json()["items"] == [] and beyond.json()["total"] == 6
    zero = await client.get("/api/appointments", params={"page_size": 0}, headers=auth)
    assert zero.status_code in (400, 422)


async def test_appointment_list_by_customer(client, db, shop, auth):
    """customer_id keeps only that customer's appointments, and total counts only them."""
    grace = await client.post(
        "/api/customers",
        json={"business_id": shop.business_id, "phone": "+12125550147", "name": "Grace"},
        headers=auth,
    )
    assert grace.status_code == 201, grace.text
    grace_id = grace.json()["id"]
    adas = [
        await book(client, auth, shop),
        await book(client, auth, shop, appointment_time="14:00"),
    ]
    graces = [await book(client, auth, shop, customer_id=grace_id, appointment_time="11:00")]
    for customer_id, expected in ((shop.ada, adas), (grace_id, graces)):
        listed = await client.get(
            "/api/appointments", params={"customer_id": customer_id}, headers=auth
        )
        assert listed.status_code == 200, listed.text
        assert listed.json()["total"] == len(expected)
        assert [a["id"] for a in listed.json()["items"]] == [a["id"] for a in expected]
        assert {a["customer_id"] for a in listed.json()["items"]} == {customer_id}
        async with db.read() as session:
            stored = list(
                await session.scalars(
                    select(Appointment.id)
                    .where(Appointment.customer_id == customer_id)
                    .order_by(Appointment.starts_at)
                )
            )
        assert stored == [a["id"] for a in expected]
    nobody = await client.get("/api/appointments", params={"customer_id": 999999}, headers=auth)
    assert nobody.json()["items"] == [] and nobody.json()["total"] == 0


async def test_deactivated_member_cannot_be_booked(client, db, shop, auth):
    """After DELETE /api/staff/{id}, booking that member is 422 naming staff_id, and nothing
    is stored: no appointment, no idempotency record."""
    deactivated = await client.delete(f"/api/staff/{shop.sam}", headers=auth)
    assert deactivated.status_code == 200 and deactivated.json()["active"] is False
    refused = await client.post(
        "/api/appointments",
        json={
            "business_id": shop.business_id,
            "customer_id": shop.ada,
            "staff_id": shop.sam,
            "appointment_date": "2026-12-01",
            "appointment_time": "10:00",
        },
        headers={**auth, "Idempotency-Key": "inactive-sam"},
    )
    assert refused.status_code == 422, refused.text
    assert refused.headers["content-type"].startswith(PROBLEM)
    problem = refused.json()
    assert problem["code"] == "invalid_input"
    assert problem["errors"] == [
        {"field": "staff_id", "message": "that staff member is not taking bookings"}
    ]
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 0
        assert await session.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
        assert (await session.get(Staff, shop.sam)).active is False


async def test_retired_service_cannot_be_booked(client, db, shop, auth):
    """After DELETE /api/services/{id}, booking it by service_id is 422 naming service_id,
    with or without a staff member, and nothing is stored."""
    retired = await client.delete(f"/api/services/{shop.haircut}", headers=auth)
    assert retired.status_code == 200 and retired.json()["active"] is False
    body = {
        "business_id": shop.business_id,
        "customer_id": shop.ada,
        "service_id": shop.haircut,
        "appointment_date": "2026-12-01",
        "appointment_time": "10:00",
    }
    for extra in ({"staff_id": shop.sam}, {}):
        refused = await client.post("/api/appointments", json={**body, **extra}, headers=auth)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith(PROBLEM)
        assert refused.json()["code"] == "invalid_input"
        assert refused.json()["errors"] == [
            {"field": "service_id", "message": "that service is no longer offered"}
        ]
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(Appointment)) == 0
        assert (await session.get(Service, shop.haircut)).active is False
