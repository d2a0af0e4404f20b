"""An id, once given, is never given again: after the row with the highest id is deleted, the
next row gets a new id, on SQLite as on PostgreSQL."""

from __future__ import annotations

from booking.services import customers
from booking.services.erasure import erase_customer
from tests.conftest import NOW


async def test_an_erased_customers_id_is_not_given_to_the_next(db, shop):
    """Erase the newest customer, add another: the new one gets a new id, so a webhook
    receiver or log that stored the old id can never find a different person under it."""
    newest = await customers.create_customer(
        db, shop.business_id, phone="+12125550150", name="Newest"
    )
    await erase_customer(db, shop.business_id, newest.id, now=NOW)
    after = await customers.create_customer(
        db, shop.business_id, phone="+12125550151", name="After"
    )
    assert after.id > newest.id
