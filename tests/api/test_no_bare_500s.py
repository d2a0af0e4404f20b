"""Odd input never ends in a bare 500: dates at the ends of the calendar, control characters
in names, deeply nested JSON each get a problem body naming what is wrong."""

from __future__ import annotations

import pytest

EXTREME_DATES = ["0001-01-01", "9999-12-31"]


def date_routes(shop) -> list[tuple[str, str, dict | None]]:
    """Every route that takes a date range: (method, path with {d}, body)."""
    return [
        ("GET", "/api/availability?start_date={d}", None),
        ("GET", "/api/availability?start_date=2026-12-01&end_date={d}", None),
        ("GET", "/api/appointments?start_date={d}", None),
        ("GET", "/api/appointments?start_date=2026-12-01&end_date={d}", None),
        ("GET", "/api/calls?start_date={d}", None),
        ("GET", f"/api/appointments/staff/{shop.sam}/slots?start_date={{d}}", None),
        (
            "GET",
            f"/api/appointments/staff/{shop.sam}/slots?start_date=2026-12-01&end_date={{d}}",
            None,
        ),
        ("POST", f"/api/staff/{shop.sam}/generate-slots", {"start_date": "{d}"}),
        (
            "POST",
            f"/api/staff/{shop.sam}/generate-slots",
            {"start_date": "2026-12-01", "end_date": "{d}"},
        ),
    ]


@pytest.mark.parametrize("extreme", EXTREME_DATES)
async def test_dates_at_the_ends_of_the_calendar_are_422_naming_the_field(
    client, shop, auth, extreme
):
    """Year 1 and year 9999 on every date-range route answer 422 naming the field, never a
    500 from a date overflow."""
    for method, path, body in date_routes(shop):
        url = path.replace("{d}", extreme)
        json = {k: v.replace("{d}", extreme) for k, v in body.items()} if body else None
        answer = await client.request(method, url, json=json, headers=auth)
        assert answer.status_code == 422, (method, url, answer.status_code, answer.text)
        field = (
            "end_date"
            if "end_date" in (url + str(json))
            and extreme in (url.split("end_date=")[-1] + str((json or {}).get("end_date")))
            else "start_date"
        )
        assert answer.json()["errors"][0]["field"] == field, (url, answer.json())


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/staff", "name"),
        ("/api/services", "name"),
        ("/api/customers", "name"),
    ],
)
async def test_control_characters_in_names_are_422(client, shop, auth, path, field):
    """A name with a newline or another control character is refused, naming the field."""
    body = {"name": "Sam\nSmith", "business_id": shop.business_id, "phone": "+12125550123",
            "duration_minutes": 30}  # fmt: skip
    answer = await client.post(path, json=body, headers=auth)
    assert answer.status_code == 422, answer.text
    assert answer.json()["errors"][0]["field"] == field


async def test_a_renamed_staff_member_with_a_newline_is_refused_and_the_feed_stays_up(
    client, db, shop, auth
):
    """Renaming with a control character is refused; and a name that reached the database
    some other way never makes the calendar feed fail."""
    from sqlalchemy import update

    from booking.models import Staff

    renamed = await client.patch(f"/api/staff/{shop.sam}", json={"name": "Sam\r\nX"}, headers=auth)
    assert renamed.status_code == 422
    assert renamed.json()["errors"][0]["field"] == "name"
    async with db.write() as session:
        await session.execute(update(Staff).where(Staff.id == shop.sam).values(name="Sam\nX"))
    feed_url = (await client.get(f"/api/staff/{shop.sam}/calendar-feed", headers=auth)).json()
    feed = await client.get(feed_url["url"].removeprefix("http://testserver"))
    assert feed.status_code == 200, feed.text
    assert "Sam\nX" not in feed.text


async def test_json_nested_too_deep_is_400_with_a_problem_body(client, shop, auth):
    """A body nested a thousand levels deep is a body that does not parse: 400, problem body."""
    body = "[" * 1000 + "]" * 1000
    answer = await client.post(
        "/api/customers",
        content=body,
        headers={**auth, "Content-Type": "application/json"},
    )
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_an_unexpected_failure_is_logged_and_answered_with_a_problem_body(
    client, shop, auth, monkeypatch
):
    """A failure nobody planned for answers 500 with a problem body that reveals nothing, and
    is logged with its traceback."""
    from structlog.testing import capture_logs

    from booking.services import staff

    async def broken(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(staff, "list_staff", broken)
    with capture_logs() as logged:
        answer = await client.get("/api/staff", headers=auth)
    assert answer.status_code == 500
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert "secret internals" not in answer.text
    [event] = [e for e in logged if e["event"] == "unhandled error answering a request"]
    assert event["log_level"] == "error"
    assert isinstance(event["exc_info"], RuntimeError)


async def test_a_time_with_seconds_is_refused_naming_the_field(client, shop, auth):
    """ "11:00:30" is refused with 422 naming appointment_time, as "9:00" is: bookings are to
    the minute, and dropping the seconds would book a time nobody asked for."""
    for given in ("11:00:30", "9:00"):
        answer = await client.post(
            "/api/appointments",
            json={
                "customer_id": shop.ada, "staff_id": shop.sam, "appointment_date": "2026-12-01",
                "appointment_time": given, "duration_minutes": 30,
            },
            headers=auth,
        )  # fmt: skip
        assert answer.status_code == 422, (given, answer.text)
        assert answer.json()["errors"][0]["field"] == "appointment_time"
