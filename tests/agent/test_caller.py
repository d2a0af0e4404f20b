"""Caller identification: the SIP participant's numbers, the business the dialled number rings,
and the customer the caller's number belongs to."""

from __future__ import annotations

import pytest

from booking.agent.caller import CallerLine, identify_call, read_line
from tests.conftest import NOW
from tests.factories import make_shop


@pytest.mark.parametrize(
    ("identity", "attributes", "caller", "dialled"),
    [
        (
            "sip_+12345678900",
            {"sip.phoneNumber": "+12345678900", "sip.trunkPhoneNumber": "+12125550100"},
            "+12345678900",
            "+12125550100",
        ),
        # The attribute wins over the identity; the identity is only a fallback.
        ("sip_+19998887777", {"sip.phoneNumber": "+12345678900"}, "+12345678900", None),
        ("sip_+12345678900", {}, "sip_+12345678900", None),
        # Withheld numbers, however the trunk spells them, make an unverified caller.
        ("sip_anonymous", {"sip.phoneNumber": "anonymous"}, None, None),
        ("caller", {"sip.phoneNumber": " "}, None, None),
        ("sip_restricted", {}, None, None),
        ("web-user", {}, None, None),
    ],
)
def test_read_line_takes_the_attribute_then_the_identity(identity, attributes, caller, dialled):
    """`sip.phoneNumber` is the caller, `sip.trunkPhoneNumber` the dialled number; the identity
    `sip_<number>` is used only without the attribute; withheld values mean no number."""
    line = read_line(identity, attributes, "call-1")
    assert (line.caller, line.dialled, line.room_name) == (caller, dialled, "call-1")


async def test_dialled_number_picks_the_business_and_caller_id_the_customer(db, shop):
    """With two businesses, the dialled number (in any format) picks the one it rings, and the
    caller's number finds their customer record there, with a verified number in E.164."""
    harbour = await make_shop(db, name="Harbour Dental", number="+12125550300")
    line = CallerLine(caller="sip_+1 (234) 567-8900", dialled="212-555-0300", room_name="r")
    setup = await identify_call(db, line, fallback_business_id=shop.business_id, now=NOW)
    assert setup is not None
    assert setup.business.id == harbour.business_id
    assert setup.dialled_number == "+12125550300"
    assert setup.caller_number == "+12345678900"
    assert setup.customer is not None and setup.customer.id == harbour.ada


async def test_unknown_dialled_number_falls_back_to_business_id(db, shop):
    """A dialled number no business has rings BUSINESS_ID's business; a caller unknown there is
    identified by number but has no customer record yet."""
    await make_shop(db, name="Harbour Dental", number="+12125550300")
    line = CallerLine(caller="+12125550177", dialled="+13105550000")
    setup = await identify_call(db, line, fallback_business_id=shop.business_id, now=NOW)
    assert setup is not None
    assert setup.business.id == shop.business_id
    assert setup.caller_number == "+12125550177"
    assert setup.customer is None


async def test_without_business_id_the_first_business_answers(db, shop):
    """With no match and no BUSINESS_ID, the first business created answers; a BUSINESS_ID that
    names no business answers nothing (the call is refused with an apology)."""
    await make_shop(db, name="Harbour Dental", number="+12125550300")
    line = CallerLine(caller=None, dialled=None)
    setup = await identify_call(db, line, fallback_business_id=None, now=NOW)
    assert setup is not None and setup.business.id == shop.business_id
    assert setup.caller_number is None and setup.customer is None
    assert await identify_call(db, line, fallback_business_id=999_999, now=NOW) is None
