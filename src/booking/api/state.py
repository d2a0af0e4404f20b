"""Typed access to what the app factory puts in `app.state`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar.connection import ASGIConnection

from booking.db import Database


def database(connection: ASGIConnection[Any, Any, Any, Any]) -> Database:
    db: Database = connection.app.state.db
    return db


def business_id(connection: ASGIConnection[Any, Any, Any, Any]) -> int:
    value: int = connection.state.business_id
    return value


def now(connection: ASGIConnection[Any, Any, Any, Any]) -> datetime:
    """The current instant from the app's injected clock (tests fix it)."""
    clock: Callable[[], datetime] = connection.app.state.clock
    return clock()


def outbound_allow_private(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """OUTBOUND_ALLOW_PRIVATE: whether URLs an admin types may reach private addresses."""
    return bool(getattr(connection.app.state, "outbound_allow_private", False))
