"""The receptionist's answers about the business, in short sentences it can say as they are.

Everything comes from stored data (services/knowledge); whatever is not on file is said to be
not on file, with the instruction to offer a message, so the model has nothing to invent.
"""

from __future__ import annotations

import itertools
from collections.abc import Awaitable, Callable
from datetime import date, time, timedelta
from typing import Any, Literal

from booking.agent.speech import spoken_date, spoken_time
from booking.services import knowledge
from booking.services.knowledge import Knowledge

Topic = Literal["hours", "services", "address", "policies", "question"]
NOT_ON_FILE = "say you don't know, and offer to take a message so the team can call back"
CURRENCY_WORDS = {
    "USD": ("dollars", "cents"),
    "CAD": ("Canadian dollars", "cents"),
    "AUD": ("Australian dollars", "cents"),
    "EUR": ("euros", "cents"),
    "GBP": ("pounds", "pence"),
}

Service = Callable[[Any], Awaitable[Any]]


def spoken_hours(intervals: list[tuple[time, time]]) -> str:
    """'9 AM to 5 PM, closed 12 PM to 1 PM'; 'closed' for none."""
    if not intervals:
        return "closed"
    text = f"{spoken_time(intervals[0][0])} to {spoken_time(intervals[-1][1])}"
    gaps = [
        f"closed {spoken_time(end)} to {spoken_time(start)}"
        for (_, end), (start, _) in itertools.pairwise(intervals)
    ]
    return ", ".join([text, *gaps])


def spoken_price(minor: int | None, currency: str | None) -> str | None:
    """'25 dollars', '12 dollars 50', '30 pounds'; None when no price is on file."""
    if minor is None or not currency:
        return None
    major, cents = divmod(minor, 100)
    names = CURRENCY_WORDS.get(currency.upper())
    if names is None:
        return f"{major}.{cents:02d} {currency.upper()}" if cents else f"{major} {currency.upper()}"
    return f"{major} {names[0]}" + (f" {cents}" if cents else "")


async def answer(
    service: Service, business_id: int, db: Any, today: date, topic: str,
    day: date | None, question: str | None,
) -> str:  # fmt: skip
    """The sentence for one question about the business."""
    facts: Knowledge = await service(knowledge.knowledge(db, business_id))
    if topic == "hours":
        days = [day] if day is not None else [today + timedelta(days=n) for n in range(7)]
        lines = []
        for each in days:
            hours = await service(knowledge.opening_hours(db, business_id, each))
            closure = next(
                (why for first, last, why in facts.business.closures if first <= each <= last),
                None,
            )
            said = spoken_hours(hours)
            if closure is not None:
                said = "closed" + (f" ({closure})" if closure else "")
            lines.append(f"{spoken_date(each)}: {said}.")
        return " ".join(lines)
    if topic == "services":
        if not facts.services:
            return f"No services are on file; {NOT_ON_FILE}."
        parts = []
        for item in facts.services:
            price = spoken_price(item.price_minor, item.currency)
            part = f"{item.name}: {item.duration_minutes} minutes, " + (
                price if price else "price not on file (do not guess it)"
            )
            if item.description:
                part += f" ({item.description})"
            parts.append(part)
        return ". ".join(parts) + "."
    if topic == "address":
        profile = facts.profile
        if not profile.address and not profile.directions:
            return f"The address is not on file; {NOT_ON_FILE}."
        lines = [f"Address: {profile.address}." if profile.address else ""]
        lines.append(f"Directions and parking: {profile.directions}." if profile.directions else "")
        return " ".join(line for line in lines if line)
    if topic == "policies":
        business = facts.business
        cutoff = business.cancellation_cutoff_minutes
        return (
            f"Appointments can be cancelled or moved up to {_duration(cutoff)} before they "
            f"start. Bookings need {_duration(business.min_notice_minutes)} notice and are "
            f"taken up to {business.horizon_days} days ahead."
        )
    found = knowledge.best_answer(facts.faq, question or "")
    if found is None:
        return f"There is no answer to that on file; {NOT_ON_FILE}."
    return found.answer


def _duration(minutes: int) -> str:
    if minutes == 0:
        return "no"
    if minutes % 1440 == 0:
        days = minutes // 1440
        return f"{days} day" + ("s" if days != 1 else "")
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour" + ("s" if hours != 1 else "")
    return f"{minutes} minutes"
