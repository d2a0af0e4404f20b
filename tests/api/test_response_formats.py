"""Issue 13, item 8: a time of day is "HH:MM" in every answer, as in every request."""

from __future__ import annotations

import re

HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def times_in(value: object) -> list[str]:
    """Every string of an answer that looks like a time of day (with or without seconds)."""
    if isinstance(value, dict):
        return [t for item in value.values() for t in times_in(item)]
    if isinstance(value, list):
        return [t for item in value for t in times_in(item)]
    if isinstance(value, str) and re.fullmatch(r"\d\d:\d\d(:\d\d)?", value):
        return [value]
    return []


async def test_hours_overrides_and_staff_answer_hh_mm(client, shop, auth):
    """Weekly hours, a staff member and a date override give their times as "09:00"."""
    override = {"date": "2026-12-10", "intervals": [{"opens_at": "08:30", "closes_at": "10:00"}]}
    made = await client.post(f"/api/staff/{shop.sam}/overrides", json=override, headers=auth)
    assert made.status_code == 201, made.text
    assert made.json()["intervals"] == [{"opens_at": "08:30", "closes_at": "10:00"}]
    answers = [
        await client.get(f"/api/staff/{shop.sam}/hours", headers=auth),
        await client.get(f"/api/staff/{shop.sam}", headers=auth),
        await client.get("/api/staff", headers=auth),
        await client.get(f"/api/staff/{shop.sam}/overrides", headers=auth),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        found = times_in(answer.json())
        assert found and all(HH_MM.match(t) for t in found), found
    monday = answers[0].json()["days"][0]
    assert monday["intervals"][0] == {"opens_at": "09:00", "closes_at": "12:00"}


async def test_hours_to_the_second_are_refused(client, shop, auth):
    """Hours are to the minute: "09:00:30" is 422 naming the field, as it could not be shown."""
    day = {"weekday": "monday", "intervals": [{"opens_at": "09:00:30", "closes_at": "12:00"}]}
    answer = await client.put(f"/api/staff/{shop.sam}/hours", json={"days": [day]}, headers=auth)
    assert answer.status_code == 422, answer.text
    [problem] = answer.json()["errors"]
    assert problem["field"] == "days.0.intervals.0.opens_at"
    assert "HH:MM" in problem["message"]
