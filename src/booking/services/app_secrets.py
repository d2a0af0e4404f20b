"""Secrets every process of one deployment must share (the web forms' CSRF key): made at
random on first use and kept in the database, never a value chosen per process."""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from booking.db import Database
from booking.models import AppSecret

CSRF_SECRET = "csrf"


async def shared_secret(db: Database, name: str) -> str:
    """The stored secret `name`, created now if there is none. Two processes creating it at
    once: the primary key keeps the first, and the second reads it back."""
    async with db.read() as session:
        value = await session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    if value is not None:
        return value
    try:
        async with db.write() as session:
            session.add(AppSecret(name=name, value=secrets.token_hex(32)))
    except IntegrityError:
        pass
    async with db.read() as session:
        stored = await session.scalar(select(AppSecret.value).where(AppSecret.name == name))
    if stored is None:  # pragma: no cover - the row was just written or kept
        raise RuntimeError(f"the shared secret {name!r} could not be stored")
    return stored
