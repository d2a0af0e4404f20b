"""The iCalendar invitation mailed with a confirmation: METHOD:REQUEST for a booking or a
move, METHOD:CANCEL for a cancellation; one UID per appointment (the staff feed's), and a
SEQUENCE that grows with each change, so a calendar app updates the one event it holds."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from booking.services.ical_time import vtimezone, wall_time

PRODID = "-//booking//appointment//EN"
CANCELLED = "appointment.cancelled"


def method_of(event: str) -> str:
    return "CANCEL" if event == CANCELLED else "REQUEST"


def render_invite(payload: Mapping[str, Any], sender: str) -> bytes:
    """The invitation for one confirmation's payload (see notifications.confirmation_payload);
    the sender (MAIL_FROM) is its organizer."""
    from icalendar import Calendar, Event, vCalAddress, vText

    data = payload["data"]
    zone = ZoneInfo(data["timezone"])
    starts = datetime.fromisoformat(data["starts_at"])
    ends = datetime.fromisoformat(data["ends_at"])
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method_of(payload["event"]))
    calendar.add_component(vtimezone(data["timezone"], starts.year, ends.year))
    event = Event()
    event.add("uid", f"appt-{data['appointment_id']}@booking")
    event.add("sequence", int(payload["sequence"]))
    event.add("dtstamp", datetime.fromisoformat(payload["occurred_at"]))
    event.add("dtstart", wall_time(starts, zone))
    event.add("dtend", wall_time(ends, zone))
    what = data.get("service_name") or "Appointment"
    event.add("summary", f"{what} at {payload['business_name']}")
    if data.get("staff_name"):
        event.add("description", f"With {data['staff_name']}.")
    event.add("status", "CANCELLED" if payload["event"] == CANCELLED else "CONFIRMED")
    organizer = vCalAddress(f"mailto:{parseaddr(sender)[1]}")
    organizer.params["cn"] = vText(payload["business_name"])
    event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{payload['to']}")
    attendee.params["cn"] = vText(payload["customer_name"])
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    attendee.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee)
    calendar.add_component(event)
    document: bytes = calendar.to_ical()
    return document
