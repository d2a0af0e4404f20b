"""Why a delivery failed, as a sentence for the owner's page. Senders store what went wrong as
text (`ConnectError: [Errno 111] ...`, `receiver answered 503`, `the calendar could not be
read (ValueError)`); the API keeps that text for whoever debugs, and the page shows a plain
sentence for the common causes instead. A stored message the product wrote as a sentence
(no exception name in it) is shown as it is."""

from __future__ import annotations

import re

CANNOT_CONNECT = (
    "Could not connect to the server: it refused the connection or is not answering at that "
    "address."
)
TIMED_OUT = "The server did not answer in time."
NOT_A_CALENDAR = "The address did not give a calendar that could be read."
UNEXPECTED = "It failed for an unexpected reason; it is tried again by itself."

# An exception's class name as Python prints it: "ConnectError: ..." or "... (ValueError)".
_RAW = re.compile(r"^[A-Z]\w*(Error|Exception|Timeout|Exit)\b|\([A-Z]\w*(Error|Exception)\)")
_TIMEOUT = re.compile(r"Timeout|TimeoutError|^no (complete )?answer within", re.IGNORECASE)
_CONNECT = re.compile(
    r"^(ConnectError|ConnectionRefusedError|ConnectionResetError|ConnectionError|OSError|"
    r"gaierror|RemoteProtocolError|ProxyError)\b"
)
_STATUS = re.compile(r"^(?:receiver|the server) answered (\d{3})$")
_UNREADABLE = re.compile(r"could not be read \(\w+\)$|^NotICalendar\b")


def refused(status: int) -> str:
    return f"The server refused it (it answered with status {status})."


def plain_failure(error: str | None, status_code: int | None = None) -> str | None:
    """The sentence to show for a stored `error` (None when there was none)."""
    if not error:
        return None
    text = error.strip()
    if _TIMEOUT.search(text):
        return TIMED_OUT
    if _CONNECT.search(text):
        return CANNOT_CONNECT
    answered = _STATUS.match(text)
    if answered:
        return refused(int(answered.group(1)))
    if _UNREADABLE.search(text):
        return NOT_A_CALENDAR
    if _RAW.search(text):
        return refused(status_code) if status_code and status_code >= 300 else UNEXPECTED
    return text
