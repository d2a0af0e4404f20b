"""The Radicale fixture itself: a calendar can be made, filled and read back, with its login."""

from __future__ import annotations

import httpx

from tests.calendars.radicale_server import RadicaleServer

EVENT = """BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:dentist-1@test
DTSTAMP:20261201T000000Z
DTSTART:20261203T150000Z
DTEND:20261203T160000Z
SUMMARY:Dentist
END:VEVENT
END:VCALENDAR
"""


def test_a_calendar_is_created_filled_and_read_back(radicale: RadicaleServer) -> None:
    """MKCALENDAR and PUT through the helpers store the event; a GET returns it."""
    calendar = radicale.make_calendar("work")
    radicale.put_event(calendar, "dentist", EVENT)
    stored = radicale.events(calendar)
    assert len(stored) == 1
    assert "UID:dentist-1@test" in stored[0]


def test_the_server_refuses_a_wrong_password(radicale: RadicaleServer) -> None:
    """Authentication is real: a wrong password gets 401."""
    answer = httpx.request(
        "PROPFIND", f"{radicale.url}{radicale.username}/", auth=(radicale.username, "wrong")
    )
    assert answer.status_code == 401
