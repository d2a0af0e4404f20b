"""Typed access to what the app factory puts in `app.state`."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from booking.db import Database


def database(connection: ASGIConnection[Any, Any, Any, Any]) -> Database:
    db: Database = connection.app.state.db
    return db


def business_id(connection: ASGIConnection[Any, Any, Any, Any]) -> int:
    value: int = connection.state.business_id
    return value
