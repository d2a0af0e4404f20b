"""Issue 13, item 6: every error answer has one shape, names each bad field at once, refuses
unknown fields and missing parameters with 422, and says what went wrong in plain words."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from booking.api.app import create_app
from booking.db import Database
from booking.services import businesses, customers, staff, tokens
from tests.conftest import NOW
from tests.factories import Shop

PROBLEM = "application/problem+json"
TYPE_BASE = "https://booking.invalid/problems/"


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    """An RFC 9457 body: type, title, status and detail, with the status of the answer."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, object] = response.json()
    assert str(body["type"]).startswith(TYPE_BASE), body
    assert body["title"] and body["detail"], body
    assert body["status"] == status
    return body


def fields_of(body: dict[str, object]) -> list[str]:
    problems = body["errors"]
    assert isinstance(problems, list)
    return [p["field"] for p in problems]


def booking(shop: Shop, **changes: object) -> dict[str, object]:
    return {
        "business_id": shop.business_id,
        "customer_id": shop.ada,
        "staff_id": shop.sam,
        "appointment_date": "2026-12-01",
        "appointment_time": "10:00",
        "duration_minutes": 30,
        **changes,
    }


async def test_client_errors_share_one_problem_shape(client, shop, auth):
    """400, 401, 404 (an unknown id and an unknown route), 405, 413, 415, 422 and 409 all
    answer problem details with type, title, status and detail."""
    as_json = {**auth, "content-type": "application/json"}
    answers = {
        400: await client.post("/api/customers", content=b"{bad", headers=as_json),
        401: await client.get("/api/customers"),
        404: await client.get("/api/customers/999", headers=auth),
        405: await client.delete("/health"),
        413: await client.post("/api/customers", content=b"x" * 70_000, headers=as_json),
        415: await client.post(
            "/api/customers",
            content=b'{"phone": "+12125550111", "name": "Kay"}',
            headers={**auth, "content-type": "text/plain"},
        ),
        422: await client.post("/api/customers", json={"phone": "+12125550111"}, headers=auth),
        409: await client.post(
            "/api/customers", json={"phone": "+12345678900", "name": "Ada"}, headers=auth
        ),
    }
    for status, response in answers.items():
        assert_problem(response, status)
    route = assert_problem(await client.get("/api/no-such-thing", headers=auth), 404)
    assert "no route" in str(route["detail"])
    assert "answers GET" in str(answers[405].json()["detail"])


async def test_an_unreachable_database_is_a_503_problem(tmp_path: Path):
    """A database that cannot be opened answers 503 problem details with Retry-After."""
    missing = tmp_path / "no-such-dir" / "booking.db"
    db = Database.from_url(f"sqlite+aiosqlite:///{missing}")
    app = create_app(db, clock=lambda: NOW)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        answer = await client.get("/api/customers", headers={"Authorization": "Bearer bk_x"})
    await db.dispose()
    body = assert_problem(answer, 503)
    assert body["type"] == TYPE_BASE + "unavailable"
    assert answer.headers["retry-after"]


async def test_a_booking_with_four_bad_fields_names_all_four(client, shop, auth):
    """Four invalid fields in one booking are all named in the one 422, each with a reason."""
    body = booking(
        shop,
        customer_id=0,
        appointment_date="2026-13-01",
        appointment_time="25:00",
        duration_minutes=3,
    )
    answer = await client.post("/api/appointments", json=body, headers=auth)
    problem = assert_problem(answer, 422)
    assert sorted(fields_of(problem)) == [
        "appointment_date",
        "appointment_time",
        "customer_id",
        "duration_minutes",
    ]


async def test_settings_with_four_bad_fields_name_all_four(client, shop, auth):
    """A settings change with four invalid values is refused naming all four, changing none."""
    body = {
        "timezone": "Mars/Olympus",
        "default_region": "ZZ",
        "slot_step_minutes": 1,
        "horizon_days": 0,
    }
    answer = await client.patch("/api/business", json=body, headers=auth)
    problem = assert_problem(answer, 422)
    assert sorted(fields_of(problem)) == sorted(body)
    settings = (await client.get("/api/business", headers=auth)).json()
    assert settings["timezone"] == "America/New_York" and settings["slot_step_minutes"] == 15


async def test_hours_with_bad_intervals_name_each_one(client, shop, auth):
    """Each interval that closes before it opens is named, with its times, in one answer."""
    day = {
        "weekday": "monday",
        "intervals": [
            {"opens_at": "12:00", "closes_at": "09:00"},
            {"opens_at": "17:00", "closes_at": "13:00"},
        ],
    }
    answer = await client.put(f"/api/staff/{shop.sam}/hours", json={"days": [day]}, headers=auth)
    problem = assert_problem(answer, 422)
    assert fields_of(problem) == ["days.0.intervals.0", "days.0.intervals.1"]
    assert "09:00 is not after opens_at 12:00" in str(problem["errors"])


async def test_a_missing_query_parameter_is_422_naming_it(client, shop, auth):
    """A search without its required start_date is 422 naming start_date, not a 400."""
    answer = await client.get("/api/availability", headers=auth)
    problem = assert_problem(answer, 422)
    assert fields_of(problem) == ["start_date"]
    slots = await client.get(f"/api/appointments/staff/{shop.sam}/slots", headers=auth)
    assert fields_of(assert_problem(slots, 422)) == ["start_date"]


async def test_an_unknown_body_field_is_refused_naming_it(client, db, shop, auth):
    """A typo such as `emial` is refused with 422 naming it, and nothing changes."""
    answer = await client.patch(
        f"/api/customers/{shop.ada}", json={"emial": "ada@example.com"}, headers=auth
    )
    problem = assert_problem(answer, 422)
    assert fields_of(problem) == ["emial"]
    assert (await customers.get_customer(db, shop.business_id, shop.ada)).email is None


async def test_business_id_is_optional_and_checked_when_given(client, db, shop, auth):
    """The seed's bodies with the token's business_id still work, the same bodies without it
    work too, and another business's id is 404."""
    with_id = await client.post("/api/appointments", json=booking(shop), headers=auth)
    assert with_id.status_code == 201, with_id.text
    without = booking(shop, appointment_time="11:00")
    del without["business_id"]
    assert (await client.post("/api/appointments", json=without, headers=auth)).status_code == 201
    lookup = {"phone": "234-567-8900"}
    found = await client.post("/api/customers/lookup", json=lookup, headers=auth)
    assert found.status_code == 200 and found.json()["id"] == shop.ada
    created = await client.post(
        "/api/customers", json={"phone": "+12125550147", "name": "Grace"}, headers=auth
    )
    assert created.status_code == 201, created.text
    other = await businesses.create_business(db, name="Other", timezone="UTC", region="GB")
    theirs = {**lookup, "business_id": other.id}
    refused = await client.post("/api/customers/lookup", json=theirs, headers=auth)
    assert assert_problem(refused, 404)["detail"] == f"no business with id {other.id}"


async def test_an_unknown_phone_number_is_said_plainly(client, shop, auth):
    """A lookup that finds nobody says "no customer with that phone number"."""
    nobody = {"phone": "+12125550999"}
    answer = await client.post("/api/customers/lookup", json=nobody, headers=auth)
    assert assert_problem(answer, 404)["detail"] == "no customer with that phone number"


async def test_a_wrong_feed_key_says_the_key_is_wrong(client, db, shop):
    """A calendar feed asked for with a wrong key is a 404 saying the key is wrong."""
    await staff.rotate_calendar_key(db, shop.business_id, shop.sam)
    answer = await client.get(f"/api/staff/{shop.sam}/calendar.ics?key=not-the-key")
    assert "key" in str(assert_problem(answer, 404)["detail"]).split(";")[0]
    assert "wrong" in str(answer.json()["detail"])


async def test_a_booking_past_the_horizon_says_the_limit(client, shop, auth):
    """A date past the 60-day horizon is refused naming the limit and the last bookable day."""
    answer = await client.post(
        "/api/appointments", json=booking(shop, appointment_date="2027-03-02"), headers=auth
    )
    problem = assert_problem(answer, 422)
    assert fields_of(problem) == ["appointment_date"]
    assert "at most 60 days ahead" in str(problem["detail"])
    assert "last bookable day is 2027-01-29" in str(problem["detail"])


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("start_date=2027-03-02", ["start_date", "end_date"]),
        ("start_date=2027-01-25&end_date=2027-02-05", ["end_date"]),
    ],
)
async def test_availability_past_the_horizon_says_so(client, shop, auth, query, named):
    """A search past the horizon is 422 naming the date beyond it and the last bookable day,
    not an empty list that looks like a full diary."""
    for path in ("/api/availability", f"/api/appointments/staff/{shop.sam}/slots"):
        answer = await client.get(f"{path}?{query}", headers=auth)
        problem = assert_problem(answer, 422)
        assert fields_of(problem) == named
        assert "last bookable day is 2027-01-29" in str(problem["errors"])
    within = await client.get("/api/availability?start_date=2027-01-29", headers=auth)
    assert within.status_code == 200, within.text


async def test_a_token_of_another_business_cannot_see_past_its_own(client, db, shop):
    """The optional business_id changes nothing about who sees what: another business's
    token booking with this business's id is 404."""
    other = await businesses.create_business(db, name="Other", timezone="UTC", region="GB")
    theirs = {"Authorization": f"Bearer {(await tokens.create_token(db, other.id, 'x')).secret}"}
    answer = await client.post("/api/appointments", json=booking(shop), headers=theirs)
    assert_problem(answer, 404)
