"""Schedule changes through the API: 409 naming what they would strand, then a choice; and
deleting a business, confirmed by its name."""

from __future__ import annotations

from tests.api.test_admin_routes import book


async def test_a_closure_over_a_booked_day_is_a_409_listing_the_appointment(client, shop, auth):
    """Closing a day with a booking answers 409 with the appointment (id, first name, local
    time, staff); with on_affected=keep the closure is made and the appointment is flagged."""
    booked = await book(client, auth, shop)
    body = {"starts_on": "2026-12-01", "reason": "Flood"}
    refused = await client.post("/api/business/closures", json=body, headers=auth)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["code"] == "would_strand_appointments"
    assert problem["affected"] == [
        {
            "id": booked["id"],
            "customer_first_name": "Ada",
            "appointment_date": "2026-12-01",
            "appointment_time": "10:00",
            "staff_id": shop.sam,
            "staff_name": "Sam",
            "why": "outside Sam's hours that day",
        }
    ]
    assert (await client.get("/api/business/closures", headers=auth)).json() == []
    kept = await client.post("/api/business/closures?on_affected=keep", json=body, headers=auth)
    assert kept.status_code == 201, kept.text
    read = await client.get(f"/api/appointments/{booked['id']}", headers=auth)
    assert read.json()["status"] == "booked" and read.json()["outside_hours"] is True


async def test_a_day_off_with_on_affected_cancel_cancels_the_booking(client, shop, auth):
    """A day off for Sam with on_affected=cancel is made and Sam's booking that day is
    cancelled."""
    booked = await book(client, auth, shop)
    answer = await client.post(
        f"/api/staff/{shop.sam}/overrides?on_affected=cancel",
        json={"date": "2026-12-01", "intervals": [], "reason": "dentist"},
        headers=auth,
    )
    assert answer.status_code == 201, answer.text
    read = await client.get(f"/api/appointments/{booked['id']}", headers=auth)
    assert read.json()["status"] == "cancelled"


async def test_deleting_the_business_needs_its_exact_name(client, shop, auth):
    """DELETE /api/business without the business's exact name is 422 naming confirm, and
    deletes nothing; with it, the business is gone (its token no longer works)."""
    wrong = await client.delete("/api/business?confirm=Test", headers=auth)
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "confirm"
    assert (await client.get("/api/business", headers=auth)).status_code == 200
    gone = await client.delete("/api/business?confirm=Test Salon", headers=auth)
    assert gone.status_code == 204, gone.text
    assert (await client.get("/api/business", headers=auth)).status_code == 401


async def test_a_kept_appointment_is_flagged_in_the_calendar_feed(client, shop, auth):
    """Kept through a day off, the appointment still shows in the staff member's calendar
    feed, its summary saying it is outside hours."""
    from icalendar import Calendar

    await book(client, auth, shop)
    await client.post(
        f"/api/staff/{shop.sam}/overrides?on_affected=keep",
        json={"date": "2026-12-01", "intervals": [], "reason": "dentist"},
        headers=auth,
    )
    url = (await client.get(f"/api/staff/{shop.sam}/calendar-feed", headers=auth)).json()["url"]
    feed = await client.get(url.removeprefix("http://testserver"))
    [event] = Calendar.from_ical(feed.text).walk("VEVENT")
    assert str(event["SUMMARY"]).endswith("(outside hours)")
