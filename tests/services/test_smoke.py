"""A first booking through the services, on each database."""

from datetime import date, time

from booking.services import appointments
from tests.conftest import NOW


async def test_book_stores_local_time_as_utc_instant(db, shop):
    """A 10:00 booking in New York on 1 Dec 2026 is stored as 15:00 UTC and read back as 10:00."""
    booked = await appointments.book(
        db,
        appointments.BookingRequest(
            business_id=shop.business_id,
            customer_id=shop.ada,
            staff_id=shop.sam,
            local_date=date(2026, 12, 1),
            local_time=time(10),
            duration_minutes=30,
        ),
        now=NOW,
    )
    assert booked.starts_at.isoformat() == "2026-12-01T15:00:00+00:00"
    assert booked.local_time == time(10)
