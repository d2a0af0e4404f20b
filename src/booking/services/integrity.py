"""Recognise which database constraint refused a write, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

_EXCLUSION_VIOLATION = "23P01"
_UNIQUE_VIOLATION = "23505"


def _sqlstate(exc: IntegrityError) -> str | None:
    return getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)


def is_overlap(exc: IntegrityError) -> bool:
    """The no-double-booking guard fired (exclusion constraint or SQLite trigger)."""
    return _sqlstate(exc) == _EXCLUSION_VIOLATION or "booking_overlap" in str(exc.orig)


def is_unique_on(exc: IntegrityError, table: str) -> bool:
    text = str(exc.orig)
    if _sqlstate(exc) == _UNIQUE_VIOLATION:
        return f"uq_{table}_" in text
    return "UNIQUE constraint failed" in text and f"{table}." in text
