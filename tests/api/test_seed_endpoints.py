"""The seed's endpoints keep their paths and bodies, now behind a bearer token."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from booking.models import Appointment, Customer
from booking.services import businesses, tokens
from tests.factories import Shop

PROBLEM = "application/problem+json"
BOOKING = {
    "appointment_date": "2026-12-01",  # a Tuesday
    "appointment_time": "10:00",
    "duration_minutes": 30,
}


def booking_body(shop: Shop, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "business_id": shop.business_id,
        "customer_id": shop.ada,
        "staff_id": shop.sam,
        **BOOKING,
    }
    body.update(changes)
    return body


async def count(db, model) -> int:
    async with db.read() as session:
        return int(await session.scalar(select(func.count()).select_from(model)))


async def test_health_reports_current_schema(client):
    """/health is open and says the database is migrated."""
    response = await client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"]["state"] == "current"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/customers/lookup"),
        ("POST", "/api/customers"),
        ("GET", "/api/appointments/staff/1/slots?start_date=2026-12-01"),
        ("POST", "/api/appointments"),
        ("POST", "/api/staff/1/generate-slots"),
    ],
)
async def test_every_seed_route_needs_a_token(client, shop, method, path):
    """Without a bearer token each /api route answers 401 problem details, and reveals nothing."""
    response = await client.request(method, path, json={"business_id": shop.business_id})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "www-authenticate" in response.headers
    bad = await client.request(
        method, path, json={}, headers={"Authorization": "Bearer bk_not-a-real-token"}
    )
    assert bad.status_code == 401


async def test_revoked_token_is_refused(client, db, shop):
    """A revoked token gets 401 at once."""
    issued = await tokens.create_token(db, shop.business_id, "temp")
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert (await client.post("/api/staff/1/generate-slots", headers=headers)).status_code == 200
    await tokens.revoke_token(db, shop.business_id, issued.id)
    assert (await client.post("/api/staff/1/generate-slots", headers=headers)).status_code == 401


async def test_create_and_look_up_customer_in_any_format(client, db, shop, auth):
    """A customer created with one phone format is found with the others, stored as E.164."""
    created = await client.post(
        "/api/customers",
        json={"business_id": shop.business_id, "phone": "(212) 555-0147", "name": "Grace"},
        headers=auth,
    )
    assert created.status_code == 201
    assert created.json()["phone"] == "+12125550147"
    for phone in ["+1 212 555 0147", "212.555.0147", "sip_+12125550147"]:
        found = await client.post(
            "/api/customers/lookup",
            json={"business_id": shop.business_id, "phone": phone},
            headers=auth,
        )
        assert found.status_code == 200, phone
        assert found.json()["id"] == created.json()["id"]
    assert await count(db, Customer) == 2


async def test_lookup_of_unknown_phone_is_404(client, shop, auth):
    """Looking up a number nobody has answers 404 problem details."""
    response = await client.post(
        "/api/customers/lookup",
        json={"business_id": shop.business_id, "phone": "+12125559999"},
        headers=auth,
    )
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_duplicate_customer_is_409(client, shop, auth):
    """Creating a customer whose phone is on file is a 409 naming the existing customer."""
    response = await client.post(
        "/api/customers",
        json={"business_id": shop.business_id, "phone": "234-567-8900", "name": "Ada again"},
        headers=auth,
    )
    assert response.status_code == 409
    assert response.json()["customer_id"] == shop.ada


async def test_garbage_phone_is_422_naming_phone(client, db, shop, auth):
    """A phone that is not a number is refused with 422 naming `phone`; nothing is stored."""
    response = await client.post(
        "/api/customers",
        json={"business_id": shop.business_id, "phone": "call me maybe", "name": "X"},
        headers=auth,
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["phone"]
    assert await count(db, Customer) == 1


async def test_slots_for_a_day_and_a_range(client, shop, auth):
    """Slots come in local time with UTC instants; lunch is excluded; end_date widens the range."""
    one_day = await client.get(
        f"/api/appointments/staff/{shop.sam}/slots",
        params={"start_date": "2026-12-01"},
        headers=auth,
    )
    assert one_day.status_code == 200
    slots = one_day.json()["slots"]
    times = [s["time"] for s in slots]
    assert times[0] == "09:00" and times[-1] == "16:30"
    assert "11:30" in times and "13:00" in times
    assert not {"11:45", "12:00", "12:30", "12:45"} & set(times)
    assert slots[0]["starts_at"] == "2026-12-01T14:00:00Z"
    week = await client.get(
        f"/api/appointments/staff/{shop.sam}/slots",
        params={"start_date": "2026-12-01", "end_date": "2026-12-07"},
        headers=auth,
    )
    days = {s["date"] for s in week.json()["slots"]}
    assert days == {"2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-07"}


async def test_book_then_same_slot_again_is_409(client, db, shop, auth):
    """The seed's booking body books; the same slot a second time is 409 problem+json."""
    first = await client.post("/api/appointments", json=booking_body(shop), headers=auth)
    assert first.status_code == 201, first.text
    assert first.json()["appointment_date"] == "2026-12-01"
    assert first.json()["appointment_time"] == "10:00"
    assert first.json()["starts_at"] == "2026-12-01T15:00:00Z"
    second = await client.post("/api/appointments", json=booking_body(shop), headers=auth)
    assert second.status_code == 409
    assert second.headers["content-type"].startswith(PROBLEM)
    assert second.json()["code"] == "slot_unavailable"
    assert await count(db, Appointment) == 1
    slots = await client.get(
        f"/api/appointments/staff/{shop.sam}/slots",
        params={"start_date": "2026-12-01"},
        headers=auth,
    )
    assert "10:00" not in [s["time"] for s in slots.json()["slots"]]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"appointment_date": "2026-13-40"}, "appointment_date"),
        ({"appointment_date": "tomorrow"}, "appointment_date"),
        ({"appointment_time": "25:61"}, "appointment_time"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"customer_id": "abc"}, "customer_id"),
    ],
)
async def test_bad_field_is_422_naming_it(client, db, shop, auth, changes, field):
    """A field that fails validation gets 422 naming it, and nothing is stored."""
    response = await client.post(
        "/api/appointments", json=booking_body(shop, **changes), headers=auth
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert field in [e["field"] for e in response.json()["errors"]]
    assert await count(db, Appointment) == 0


async def test_unparseable_body_is_400(client, shop, auth):
    """Only a body that is not JSON at all gets 400."""
    response = await client.post(
        "/api/appointments",
        content=b'{"business_id": 1,',
        headers={**auth, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(PROBLEM)


async def test_outside_hours_and_unknown_ids(client, shop, auth):
    """Lunch time is 422 outside hours; an unknown staff or customer id is 404."""
    lunch = await client.post(
        "/api/appointments", json=booking_body(shop, appointment_time="12:15"), headers=auth
    )
    assert lunch.status_code == 422
    assert lunch.json()["code"] == "outside_hours"
    unknown_staff = await client.post(
        "/api/appointments", json=booking_body(shop, staff_id=9999), headers=auth
    )
    assert unknown_staff.status_code == 404
    unknown_customer = await client.post(
        "/api/appointments", json=booking_body(shop, customer_id=9999), headers=auth
    )
    assert unknown_customer.status_code == 404


async def test_another_business_is_invisible(client, db, shop, auth):
    """A token of one business gets 404 for another business's ids, never its data."""
    other = await businesses.create_business(
        db, name="Other", timezone="Europe/London", region="GB"
    )
    other_token = (await tokens.create_token(db, other.id, "other")).secret
    headers = {"Authorization": f"Bearer {other_token}"}
    lookup = await client.post(
        "/api/customers/lookup",
        json={"business_id": shop.business_id, "phone": "+12345678900"},
        headers=headers,
    )
    assert lookup.status_code == 404
    slots = await client.get(
        f"/api/appointments/staff/{shop.sam}/slots",
        params={"start_date": "2026-12-01"},
        headers=headers,
    )
    assert slots.status_code == 404
    book = await client.post(
        "/api/appointments",
        json=booking_body(shop, business_id=other.id),
        headers=headers,
    )
    assert book.status_code == 404
    assert await count(db, Appointment) == 0


async def test_idempotency_key_replays_and_refuses_a_changed_body(client, db, shop, auth):
    """A retried POST with the same key replays the booking; a changed body with it is 422."""
    headers = {**auth, "Idempotency-Key": "order-17"}
    responses = await asyncio.gather(
        *[
            client.post("/api/appointments", json=booking_body(shop), headers=headers)
            for _ in range(5)
        ]
    )
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    changed = await client.post(
        "/api/appointments", json=booking_body(shop, appointment_time="11:00"), headers=headers
    )
    assert changed.status_code == 422
    assert await count(db, Appointment) == 1


async def test_generate_slots_previews_without_writing(client, db, shop, auth):
    """generate-slots takes an optional range and reports slots per day; it stores nothing."""
    response = await client.post(
        f"/api/staff/{shop.sam}/generate-slots",
        json={"start_date": "2026-12-01", "end_date": "2026-12-02"},
        headers=auth,
    )
    assert response.status_code == 200
    days = response.json()["days"]
    assert [d["date"] for d in days] == ["2026-12-01", "2026-12-02"]
    assert days[0]["first"] == "09:00"
    default = await client.post(f"/api/staff/{shop.sam}/generate-slots", headers=auth)
    assert default.status_code == 200
    assert len(default.json()["days"]) == 15
    assert await count(db, Appointment) == 0
