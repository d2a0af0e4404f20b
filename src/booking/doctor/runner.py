"""The checks in order, each fed what the earlier ones found, and the command's entry point."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Callable

from booking.config import Settings, load_settings
from booking.db import Database
from booking.doctor import report
from booking.doctor.database_checks import check_database, check_numbers, read_businesses
from booking.doctor.outbound_checks import check_smtp, check_webhooks
from booking.doctor.result import CheckResult, skipped
from booking.doctor.setup_checks import AGENT_OFF, check_agent_settings, check_settings
from booking.services.businesses import BusinessInfo

AGENT_CHECKS = ("livekit", "sip trunks", "sip dispatch", "gemini")
LATER_CHECKS = ("agent settings", "database", "business numbers", *AGENT_CHECKS, "webhooks")


async def run_doctor(load: Callable[[], Settings] = load_settings) -> list[CheckResult]:
    """Every check, in order; a check that cannot run for an earlier failure is skipped."""
    loaded, settings = check_settings(load)
    if settings is None:
        reason = "the settings did not load: not checked"
        return [loaded, *(skipped(name, reason) for name in LATER_CHECKS), await check_smtp()]
    agent, agent_on = check_agent_settings(settings)
    db = Database.from_url(
        settings.database_url,
        pool_size=settings.database_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )
    try:
        database = await check_database(db, sqlite_file=settings.sqlite_path())
        businesses = await read_businesses(db) if database.ok else None
        results = [loaded, agent, database, check_numbers(businesses)]
        results += await _agent_checks(settings, db, businesses, agent_on, agent.ok)
        results += [
            await check_webhooks(db, businesses, allow_private=settings.outbound_allow_private),
            await check_smtp(settings),
        ]
    finally:
        await db.dispose()
    return results


async def _agent_checks(
    settings: Settings,
    db: Database,
    businesses: list[BusinessInfo] | None,
    agent_on: bool,
    agent_settings_ok: bool,
) -> list[CheckResult]:
    if not agent_settings_ok:
        reason = "the agent settings are incomplete: not checked"
        return [skipped(name, reason) for name in AGENT_CHECKS]
    if not agent_on:
        return [skipped(name, AGENT_OFF) for name in AGENT_CHECKS]
    from booking.doctor.gemini_check import check_gemini
    from booking.doctor.livekit_checks import check_livekit

    results = await check_livekit(settings, businesses)
    first = businesses[0] if businesses else None
    return [*results, await check_gemini(settings, db, first)]


def _quiet_libraries() -> None:
    """The doctor reports each problem in its own line; the libraries' own error logs (with
    tracebacks) would bury them, and nothing but the report may reach stdout."""
    from booking.logging import configure_logging

    configure_logging("error")
    logging.basicConfig(level=logging.CRITICAL, stream=sys.stderr, force=True)
    for name in ("livekit", "google_genai", "websockets", "aiohttp", "asyncio", "alembic"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def main(*, as_json: bool = False) -> int:
    """`booking doctor [--json]`: print the report; exit 1 when any check failed."""
    _quiet_libraries()
    results = asyncio.run(run_doctor())
    if as_json:
        print(report.as_json(results))
    else:
        colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        print(report.as_lines(results, colour=colour))
    return report.exit_code(results)
