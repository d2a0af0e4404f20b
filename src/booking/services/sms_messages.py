"""The words of a text message: short (one SMS segment where it fits: GSM-7 characters, under
160), no customer's name, in the business's time zone; and the quiet hours texts wait out."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

REMINDER = "appointment.reminder"
REPLY = "sms.reply"
SEGMENT = 160
# The GSM 03.38 basic character set: a text of these alone fits 160 to a segment.
_GSM7 = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_ASIDE = {"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "…": "..."}


def gsm7(text: str) -> str:
    """The text in GSM-7 characters: accents and typographic marks that have a plain form
    take it; anything else becomes '?'."""
    out = []
    for char in text:
        char = _ASIDE.get(char, char)
        if all(c in _GSM7 for c in char):
            out.append(char)
            continue
        plain = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        out.append(plain if plain and all(c in _GSM7 for c in plain) else "?")
    return "".join(out)


def _when(data: Mapping[str, Any]) -> str:
    return spoken(datetime.fromisoformat(data["starts_at"]).astimezone(ZoneInfo(data["timezone"])))


def spoken(local: datetime) -> str:
    """'Tue 1 Dec at 10:30 AM'."""
    noon = "AM" if local.hour < 12 else "PM"
    return f"{local:%a} {local.day} {local:%b} at {local.hour % 12 or 12}:{local:%M} {noon}"


def compose(event: str, business: str, data: Mapping[str, Any]) -> str:
    """'Demo Salon: haircut with Sam, Tue 1 Dec at 10:30 AM. Reply C to cancel, Y to
    confirm.' The staff name, then the business's name, give way to keep one segment."""
    what = (data.get("service_name") or "appointment").lower()
    when = _when(data)
    staff = data.get("staff_name")
    for with_staff in (True, False):
        who = f" with {staff}" if staff and with_staff else ""
        text = _sentence(event, business, f"{what}{who}", when)
        if len(text) < SEGMENT:
            return text
    room = max(SEGMENT - 1 - len(_sentence(event, "", what, when)), 8)
    return gsm7(_sentence(event, business[:room].rstrip(), what, when))[: SEGMENT - 1]


def _sentence(event: str, business: str, what: str, when: str) -> str:
    answer = "Reply C to cancel, Y to confirm."
    if event == "appointment.moved":
        text = f"{business}: your {what} is moved to {when}. {answer}"
    elif event == "appointment.cancelled":
        text = f"{business}: your {what} on {when} is cancelled."
    elif event == REMINDER:
        text = f"{business} reminder: {what}, {when}. {answer}"
    else:
        text = f"{business}: {what}, {when}. {answer}"
    return gsm7(text)


def quiet_until(
    at: datetime, zone: ZoneInfo, from_minute: int, until_minute: int
) -> datetime | None:
    """The end (UTC) of the quiet hours `at` falls in; None outside them, or with none set."""
    if from_minute == until_minute:
        return None
    local = at.astimezone(zone)
    minute = local.hour * 60 + local.minute
    if from_minute < until_minute:
        inside, next_day = from_minute <= minute < until_minute, False
    else:  # across midnight, as 21:00-08:00
        inside, next_day = minute >= from_minute or minute < until_minute, minute >= from_minute
    if not inside:
        return None
    day = local.date() + timedelta(days=1 if next_day else 0)
    end = datetime.combine(day, time(until_minute // 60, until_minute % 60), tzinfo=zone)
    return end.astimezone(UTC)
