"""The words of a confirmation or reminder email, built from the payload its delivery stored
when the change happened (so it says what was true then, whenever it is sent)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from booking.services.invite import method_of, render_invite

REMINDER = "appointment.reminder"

_SUBJECTS = {
    "appointment.booked": "Booked",
    "appointment.moved": "Moved",
    "appointment.cancelled": "Cancelled",
    REMINDER: "Reminder",
}


def _when(data: Mapping[str, Any]) -> str:
    local = datetime.fromisoformat(data["starts_at"]).astimezone(ZoneInfo(data["timezone"]))
    return f"{local:%A} {local.day} {local:%B %Y} at {local:%H:%M}"


def _sentence(event: str, what: str, business: str, when: str) -> str:
    if event == "appointment.moved":
        return f"Your {what} at {business} has moved to {when}."
    if event == "appointment.cancelled":
        return f"Your {what} at {business} on {when} is cancelled."
    if event == REMINDER:
        return f"A reminder: your {what} at {business} is on {when}."
    return f"Your {what} at {business} is booked for {when}."


def _what(data: Mapping[str, Any]) -> str:
    return str(data.get("service_name") or "appointment").lower()


def subject(payload: Mapping[str, Any]) -> str:
    """ "Booked: haircut at Demo Salon, Tuesday 1 December 2026 at 10:00" (no one's name)."""
    event, data = payload["event"], payload["data"]
    heading = _SUBJECTS.get(event, "Appointment")
    return f"{heading}: {_what(data)} at {payload['business_name']}, {_when(data)}"


def compose(payload: Mapping[str, Any], sender: str, sent_at: datetime) -> EmailMessage:
    """The message for one delivery; confirmations carry the .ics invitation."""
    data, event = payload["data"], payload["event"]
    what = _what(data)
    business, when = payload["business_name"], _when(data)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((payload["customer_name"], payload["to"]))
    message["Subject"] = subject(payload)
    message["Date"] = format_datetime(sent_at)
    # Stable across retries, so a mail server that got it twice can tell.
    domain = parseaddr(sender)[1].rpartition("@")[2] or "booking"
    message["Message-ID"] = f"<delivery-{payload['id']}@{domain}>"
    lines = [f"Hello {payload['customer_name']},", "", _sentence(event, what, business, when)]
    if data.get("staff_name") and event != "appointment.cancelled":
        lines.append(f"You will be seen by {data['staff_name']}.")
    if event != "appointment.cancelled":
        lines += ["", f"To cancel or change it, call {business}."]
    message.set_content("\n".join(lines) + "\n")
    if event != REMINDER:
        message.add_attachment(
            render_invite(payload, sender),
            maintype="text",
            subtype="calendar",
            filename="invite.ics",
            params={"method": method_of(event)},
        )
    return message
