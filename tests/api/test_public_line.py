"""The public line through the admin API: the caps as business settings, and the block list
(owner-only changes, numbers stored in E.164)."""

from __future__ import annotations

from sqlalchemy import select

from booking.models import BlockedNumber


async def staff_token(client, auth) -> dict[str, str]:
    issued = await client.post("/api/tokens", json={"name": "desk"}, headers=auth)
    assert issued.status_code == 201, issued.text
    return {"Authorization": f"Bearer {issued.json()['secret']}"}


async def test_caps_are_read_and_changed_as_settings(client, shop, auth):
    """The business shows its line limits with their defaults; an owner changes them, and one
    out of range is 422 naming it."""
    read = (await client.get("/api/business", headers=auth)).json()
    assert {k: read[k] for k in read if k.startswith(("max_", "repeat_"))} == {
        "max_call_seconds": 480,
        "max_bookings_per_call": 3,
        "max_future_bookings_per_customer": 4,
        "max_withheld_bookings_per_day": 5,
        "max_calls_per_number": 5,
        "repeat_call_window_minutes": 10,
    }
    changed = await client.patch(
        "/api/business",
        json={"max_withheld_bookings_per_day": 2, "repeat_call_window_minutes": 30},
        headers=auth,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["max_withheld_bookings_per_day"] == 2
    assert changed.json()["repeat_call_window_minutes"] == 30
    bad = await client.patch("/api/business", json={"max_bookings_per_call": 0}, headers=auth)
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "max_bookings_per_call"


async def test_block_list_add_list_remove(client, db, shop, auth):
    """An owner blocks a number in any common format (stored as E.164), sees it listed, gets
    409 for blocking it again and 422 for a non-number, and unblocks it; staff may read the
    list but not change it."""
    added = await client.post(
        "/api/business/blocked-numbers",
        json={"number": "(212) 555-0199", "reason": "prank calls"},
        headers=auth,
    )
    assert added.status_code == 201, added.text
    entry = added.json()
    assert entry["number"] == "+12125550199" and entry["reason"] == "prank calls"
    again = await client.post(
        "/api/business/blocked-numbers", json={"number": "+1 212 555 0199"}, headers=auth
    )
    assert again.status_code == 409
    nonsense = await client.post(
        "/api/business/blocked-numbers", json={"number": "hello"}, headers=auth
    )
    assert nonsense.status_code == 422 and nonsense.json()["errors"][0]["field"] == "number"
    staff = await staff_token(client, auth)
    listed = await client.get("/api/business/blocked-numbers", headers=staff)
    assert [b["number"] for b in listed.json()] == ["+12125550199"]
    refused = await client.post(
        "/api/business/blocked-numbers", json={"number": "+12125550111"}, headers=staff
    )
    assert refused.status_code == 403
    not_theirs = await client.delete(f"/api/business/blocked-numbers/{entry['id']}", headers=staff)
    assert not_theirs.status_code == 403
    removed = await client.delete(f"/api/business/blocked-numbers/{entry['id']}", headers=auth)
    assert removed.status_code == 204
    gone = await client.delete(f"/api/business/blocked-numbers/{entry['id']}", headers=auth)
    assert gone.status_code == 404
    async with db.read() as session:
        assert list(await session.scalars(select(BlockedNumber))) == []
