"""What the receptionist may tell callers about the business, always from stored data.

The profile (address, description, directions), the FAQ, the services with their durations and
prices, the policies (settings), and the opening hours of a day: the union of the active staff's
working intervals that day (weekly hours, date overrides) unless the business is closed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, time

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from booking.db import Database
from booking.errors import InvalidInput, NotFound
from booking.models import Business, DateOverride, FaqEntry, Service, Staff
from booking.services.businesses import BusinessInfo, load_business, read_business

PROFILE_LIMITS = {"address": 500, "description": 1000, "directions": 1000}
MAX_FAQ_ENTRIES = 100
_WORD = re.compile(r"[a-z0-9]+")
# Words too common to tell two questions apart.
_STOPWORDS = frozenset(
    {
        "a", "an", "and", "are", "at", "be", "can", "do", "does", "for", "have", "how", "i",
        "in", "is", "it", "me", "my", "of", "on", "or", "the", "to", "what", "when", "where",
        "which", "who", "will", "with", "you", "your",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Profile:
    address: str
    description: str
    directions: str


@dataclass(frozen=True)
class FaqInfo:
    id: int
    question: str
    answer: str


@dataclass(frozen=True)
class PricedService:
    id: int
    name: str
    duration_minutes: int
    price_minor: int | None
    currency: str | None
    description: str


@dataclass(frozen=True)
class Knowledge:
    """Everything a caller may ask about, read once per question."""

    business: BusinessInfo
    profile: Profile
    services: list[PricedService]
    faq: list[FaqInfo]


async def get_profile(db: Database, business_id: int) -> Profile:
    async with db.read() as session:
        business = await load_business(session, business_id)
        return Profile(business.address, business.description, business.directions)


async def update_profile(db: Database, business_id: int, **changes: str) -> Profile:
    """Change the address, description or directions (each one trimmed line of text)."""
    async with db.write() as session:
        business = await load_business(session, business_id)
        for field, value in changes.items():
            if field not in PROFILE_LIMITS:
                raise InvalidInput(field, "is not part of the business's profile")
            text = " ".join(str(value).split())
            if len(text) > PROFILE_LIMITS[field]:
                raise InvalidInput(field, f"must be at most {PROFILE_LIMITS[field]} characters")
            setattr(business, field, text)
        return Profile(business.address, business.description, business.directions)


async def list_faq(db: Database, business_id: int) -> list[FaqInfo]:
    async with db.read() as session:
        rows = await session.scalars(
            select(FaqEntry).where(FaqEntry.business_id == business_id).order_by(FaqEntry.id)
        )
        return [FaqInfo(r.id, r.question, r.answer) for r in rows]


def _faq_text(question: str, answer: str) -> tuple[str, str]:
    question, answer = " ".join(question.split()), " ".join(answer.split())
    if not question:
        raise InvalidInput("question", "must not be empty")
    if not answer:
        raise InvalidInput("answer", "must not be empty")
    return question, answer


async def add_faq(db: Database, business_id: int, question: str, answer: str) -> FaqInfo:
    question, answer = _faq_text(question, answer)
    async with db.write() as session:
        await load_business(session, business_id)
        count = len(list(await session.scalars(select(FaqEntry.id).where(
            FaqEntry.business_id == business_id))))  # fmt: skip
        if count >= MAX_FAQ_ENTRIES:
            raise InvalidInput("question", f"a business keeps at most {MAX_FAQ_ENTRIES} answers")
        entry = FaqEntry(business_id=business_id, question=question, answer=answer)
        session.add(entry)
        await session.flush()
        return FaqInfo(entry.id, question, answer)


async def update_faq(
    db: Database, business_id: int, faq_id: int, question: str, answer: str
) -> FaqInfo:
    question, answer = _faq_text(question, answer)
    async with db.write() as session:
        entry = await session.get(FaqEntry, faq_id)
        if entry is None or entry.business_id != business_id:
            raise NotFound("FAQ entry", faq_id)
        entry.question, entry.answer = question, answer
        return FaqInfo(entry.id, question, answer)


async def delete_faq(db: Database, business_id: int, faq_id: int) -> None:
    async with db.write() as session:
        deleted = await session.execute(
            delete(FaqEntry).where(FaqEntry.id == faq_id, FaqEntry.business_id == business_id)
        )
        if not deleted.rowcount:  # type: ignore[attr-defined]
            raise NotFound("FAQ entry", faq_id)


async def knowledge(db: Database, business_id: int) -> Knowledge:
    """The business, its profile, active services with prices, and FAQ, in one read."""
    async with db.read() as session:
        info = await read_business(session, business_id)
        business = await session.get(Business, business_id)
        assert business is not None  # read_business found it
        services = await session.scalars(
            select(Service)
            .where(Service.business_id == business_id, Service.active.is_(True))
            .order_by(Service.id)
        )
        faq = await session.scalars(
            select(FaqEntry).where(FaqEntry.business_id == business_id).order_by(FaqEntry.id)
        )
        return Knowledge(
            business=info,
            profile=Profile(business.address, business.description, business.directions),
            services=[
                PricedService(
                    s.id, s.name, s.duration_minutes, s.price_minor, s.currency, s.description
                )
                for s in services
            ],
            faq=[FaqInfo(f.id, f.question, f.answer) for f in faq],
        )


async def opening_hours(db: Database, business_id: int, day: date) -> list[tuple[time, time]]:
    """When the business is open on a local day: the active staff's working intervals merged
    (a lunch break everyone takes stays a gap), nothing on a closure."""
    async with db.read() as session:
        business = await read_business(session, business_id)
        if business.is_closed_on(day):
            return []
        staff = await session.scalars(
            select(Staff)
            .where(Staff.business_id == business_id, Staff.active.is_(True))
            .options(selectinload(Staff.hours))
        )
        members = list(staff)
        overrides: dict[int, list[tuple[time | None, time | None]]] = defaultdict(list)
        rows = await session.scalars(
            select(DateOverride).where(
                DateOverride.staff_id.in_([m.id for m in members]), DateOverride.on_date == day
            )
        )
        for row in rows:
            overrides[row.staff_id].append((row.opens_at, row.closes_at))
        intervals: list[tuple[time, time]] = []
        for member in members:
            if member.id in overrides:  # a day off is one row without times
                intervals += [(o, c) for o, c in overrides[member.id] if o and c]
            else:
                intervals += [
                    (h.opens_at, h.closes_at) for h in member.hours if h.weekday == day.weekday()
                ]
    return merge(intervals)


def merge(intervals: list[tuple[time, time]]) -> list[tuple[time, time]]:
    """Overlapping or touching intervals as one."""
    merged: list[tuple[time, time]] = []
    for opens, closes in sorted(intervals):
        if merged and opens <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], closes))
        else:
            merged.append((opens, closes))
    return merged


def best_answer(faq: list[FaqInfo], question: str) -> FaqInfo | None:
    """The stored entry whose question shares the most telling words with the caller's; None
    when none shares any (the receptionist then says it does not know)."""
    asked = _words(question)
    scored = [(len(asked & _words(entry.question + " " + entry.answer)), entry) for entry in faq]
    best = max(scored, key=lambda pair: pair[0], default=(0, None))
    return best[1] if best[0] > 0 else None


def _words(text: str) -> set[str]:
    """The telling words, roughly stemmed ("parking" and "park" match, "cards" and "card")."""
    return {_stem(w) for w in set(_WORD.findall(text.lower())) - _STOPWORDS}


def _stem(word: str) -> str:
    for ending, shortest in (("ing", 6), ("ed", 5), ("es", 5), ("s", 4)):
        if word.endswith(ending) and len(word) >= shortest:
            return word[: -len(ending)]
    return word
