"""Phone numbers to E.164 with `phonenumbers`, in the business's default region."""

from __future__ import annotations

import phonenumbers

from booking.errors import InvalidInput

_SIP_PREFIX = "sip_"


def normalize_phone(raw: str, region: str, field: str = "phone") -> str:
    """E.164 for a number in any common format ("+1 (234) 567-8900", "sip_+1234...")."""
    text = (raw or "").strip()
    if text.lower().startswith(_SIP_PREFIX):
        text = text[len(_SIP_PREFIX) :]
    if not text or len(text) > 40:
        raise InvalidInput(field, "give a phone number")
    try:
        number = phonenumbers.parse(text, region.upper())
    except phonenumbers.NumberParseException:
        raise InvalidInput(field, f"{raw!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(field, f"{raw!r} is not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalize_phone(raw: str | None, region: str) -> str | None:
    """E.164, or None for a missing, withheld or malformed number."""
    if not raw:
        return None
    try:
        return normalize_phone(raw, region)
    except InvalidInput:
        return None


def is_region(code: str) -> bool:
    return code.upper() in phonenumbers.SUPPORTED_REGIONS


def readable_phone(e164: str | None) -> str:
    """A stored number as a person writes it ("+1 212-555-0147"), for pages; anything that
    does not parse is shown as it is."""
    if not e164:
        return ""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
