"""Fixtures of the staff-calendar tests: a real CalDAV server (Radicale) on loopback."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.calendars.radicale_server import RadicaleServer


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[RadicaleServer]:
    """A running Radicale with one user (`radicale.username`/`.password`) and no calendars yet."""
    if importlib.util.find_spec("radicale") is None:
        pytest.skip("Radicale is not installed (pip install -e '.[dev]')")
    with RadicaleServer.start(tmp_path / "radicale") as server:
        yield server
