"""A form with several bad fields shows every field's message beside it, in one answer."""

from __future__ import annotations

import httpx

from booking.db import Database
from booking.services import businesses, calendar_connections, customers, staff
from tests.factories import Shop
from tests.web.conftest import csrf_of, signed_in_client
from tests.web.test_setup_business import form_of
from tests.web.test_setup_schedule import week


async def test_a_customer_edit_with_a_bad_email_and_a_bad_phone_shows_both(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Both the email's and the phone's message are shown beside their fields with 422, and
    the customer is unchanged."""
    before = await customers.get_customer(db, shop.business_id, shop.ada)
    client, csrf = await signed_in_client(web_client, shop.token)
    refused = await client.post(
        f"/admin/customers/{shop.ada}/edit",
        data={"_csrf_token": csrf, "name": "Ada Lovelace", "notes": "",
              "phone": "12", "email": "not-an-address"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert 'id="e-email">is not an email address' in refused.text
    assert 'id="e-phone">' in refused.text and "is not a valid phone number" in refused.text
    assert await customers.get_customer(db, shop.business_id, shop.ada) == before


async def test_a_caldav_account_without_any_login_shows_both_fields(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Connecting a CalDAV calendar with neither user name nor password shows the message
    beside each of the two fields, and connects nothing."""
    client, csrf = await signed_in_client(web_client, shop.token)
    refused = await client.post(
        f"/admin/setup/staff/{shop.sam}/calendars",
        data={"_csrf_token": csrf, "kind": "caldav", "url": "https://93.184.215.14/dav/"},
    )
    assert refused.status_code == 422
    assert 'id="e-username">a CalDAV account needs the user name' in refused.text
    assert 'id="e-password">a CalDAV account needs the (app) password' in refused.text
    assert await calendar_connections.list_connections(db, shop.business_id, shop.sam) == []


async def test_weekly_hours_overlapping_on_two_days_show_both_days(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """Overlapping intervals on Monday and on Friday are each shown beside their own day,
    with 422, and the stored hours stay as they were."""
    before = await staff.get_staff(db, shop.business_id, shop.sam)
    client, csrf = await signed_in_client(web_client, shop.token)
    overlapping = [("09:00", "13:00"), ("12:00", "17:00")]
    refused = await client.post(
        f"/admin/setup/staff/{shop.sam}/hours",
        data={"_csrf_token": csrf, **week(monday=overlapping, friday=overlapping)},
    )
    assert refused.status_code == 422
    assert 'id="e-monday">intervals overlap' in refused.text
    assert 'id="e-friday">intervals overlap' in refused.text
    assert await staff.get_staff(db, shop.business_id, shop.sam) == before


async def test_business_settings_with_two_bad_numbers_show_both(
    web_client: httpx.AsyncClient, db: Database, shop: Shop
) -> None:
    """A transfer number and a texting number that are not phone numbers are each shown
    beside their field with 422, and the business's name sent with them is not stored."""
    client, _ = await signed_in_client(web_client, shop.token)
    shown = await client.get("/admin/setup/business")
    values = form_of(shown.text)
    refused = await client.post(
        "/admin/setup/business",
        data={**values, "_csrf_token": csrf_of(shown.text), "name": "Renamed",
              "transfer_number": "not a phone", "sms_number": "12"},
    )  # fmt: skip
    assert refused.status_code == 422
    assert 'id="e-transfer_number">' in refused.text and 'id="e-sms_number">' in refused.text
    assert (await businesses.get_business(db, shop.business_id)).name != "Renamed"
