"""How dates and times are said aloud, and the day table that spares the model any arithmetic."""

from __future__ import annotations

from datetime import date, time, timedelta


def ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def spoken_date(day: date) -> str:
    """'Tuesday the 2nd of December'."""
    return f"{day:%A} the {ordinal(day.day)} of {day:%B}"


def spoken_time(at: time) -> str:
    """'10:30 AM', '9 AM', '12 PM'."""
    hour = at.hour % 12 or 12
    half = "AM" if at.hour < 12 else "PM"
    return f"{hour} {half}" if at.minute == 0 else f"{hour}:{at.minute:02d} {half}"


def spoken_slot(day: date, at: time, staff_name: str) -> str:
    return f"{spoken_date(day)} at {spoken_time(at)} with {staff_name}"


def day_table(today: date, days: int = 14) -> str:
    """One line per day from today: weekday, ISO date, and 'today'/'tomorrow' where true."""
    lines = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        label = {0: " (today)", 1: " (tomorrow)"}.get(offset, "")
        lines.append(f"- {day:%A} {day.isoformat()}{label}")
    return "\n".join(lines)
