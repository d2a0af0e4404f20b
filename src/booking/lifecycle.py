"""The process's running state, shared by both front doors: the HTTP API reports it on
`/health`, and the phone agent's runner sets it (starting, running, draining, stopped)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Lifecycle:
    """What `/health` reports besides the database: draining, and whether the agent runs."""

    status: str = "ok"
    agent: str = "disabled"
