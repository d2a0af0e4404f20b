"""The `booking` command: serve, migrate, seed-demo, create-business, create-token, backup,
restore, doctor."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

# Pydantic, SQLAlchemy and structlog are imported in `_run`: for `serve`, with the GC paused.
if TYPE_CHECKING:
    from booking.agent.worker import AgentRunner
    from booking.config import Settings
    from booking.db import Database


def _database(settings: Settings) -> Database:
    from booking.db import Database

    return Database.from_url(
        settings.database_url,
        pool_size=settings.database_pool_size,
        busy_timeout_ms=settings.sqlite_busy_timeout_ms,
    )


async def _migrate(settings: Settings) -> int:
    from booking.migrate import current_revision, upgrade

    db = _database(settings)
    try:
        await upgrade(db.engine)
        print(f"database at revision {await current_revision(db.engine)}")
    finally:
        await db.dispose()
    return 0


async def _seed_demo(settings: Settings, as_json: bool) -> int:
    from booking.server import ensure_schema_current
    from booking.services.demo import first_business_id, issue_demo_token, seed_demo

    token: str | None = None
    existing: int | None = None
    db = _database(settings)
    try:
        await ensure_schema_current(db)
        demo = await seed_demo(db)
        if demo is None:
            existing = await first_business_id(db)
        elif as_json or demo.created:
            token = await issue_demo_token(db, demo.business_id)
    finally:
        await db.dispose()
    if demo is None:
        if as_json:
            print(json.dumps({"created": False, "skipped": True, "existing_business_id": existing}))
        else:
            print(
                f"Demo not created: the database already has businesses (first id {existing}); "
                f"for an admin token: booking create-token --business-id {existing} --role owner"
            )
        return 0
    ids = {
        "business_id": demo.business_id,
        "staff_ids": demo.staff_ids,
        "service_ids": demo.service_ids,
    }
    if as_json:
        print(json.dumps({**ids, "created": demo.created, "skipped": False, "token": token}))
    elif token:
        print(f"Demo business created: {json.dumps(ids)}")
        print(f"Admin token (shown once): {token}")
    else:
        print(f"Demo business already present: {json.dumps(ids)}")
        print(
            f"For a new admin token: booking create-token --business-id {demo.business_id} "
            "--role owner"
        )
    return 0


async def _create_business(settings: Settings, args: argparse.Namespace) -> int:
    from booking.models.token import TokenRole
    from booking.server import ensure_schema_current
    from booking.services.businesses import create_business
    from booking.services.tokens import create_token

    db = _database(settings)
    try:
        await ensure_schema_current(db)
        business = await create_business(
            db,
            name=args.name,
            timezone=args.timezone,
            region=args.region,
            numbers=args.number or [],
            transfer_number=args.transfer_number,
        )
        token = await create_token(db, business.id, "owner", TokenRole.OWNER)
    finally:
        await db.dispose()
    print(f"Business {business.id} created ({business.name}, {business.timezone}).")
    print(f"Admin token (shown once): {token.secret}")
    return 0


async def _create_token(settings: Settings, args: argparse.Namespace) -> int:
    """Also the way back in for a business that lost its owner tokens: `--role owner`."""
    from booking.models.token import TokenRole
    from booking.server import ensure_schema_current
    from booking.services.tokens import create_token

    role = TokenRole(args.role)
    db = _database(settings)
    try:
        await ensure_schema_current(db)
        token = await create_token(db, args.business_id, args.name or role.value, role)
    finally:
        await db.dispose()
    print(token.secret)
    return 0


def agent_mode(settings: Settings) -> bool:
    """True when all four agent settings are given, False when none are; else refuse."""
    given = settings.agent_settings_given()
    if all(given.values()):
        return True
    if any(given.values()):
        missing = ", ".join(name for name, present in given.items() if not present)
        raise AgentSettingsIncomplete(
            f"the phone agent needs all of LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET "
            f"and GOOGLE_API_KEY; missing: {missing}"
        )
    return False


class AgentSettingsIncomplete(Exception):
    """Some, but not all, of the phone agent's settings are present."""


def _agent_runner(settings: Settings) -> AgentRunner | None:
    from booking.logging import get_logger

    if agent_mode(settings):
        from booking.agent.worker import AgentRunner  # LiveKit is imported only to answer calls

        return AgentRunner(settings)
    get_logger("booking.cli").info(
        "phone agent off: serving HTTP only; set LIVEKIT_URL, LIVEKIT_API_KEY, "
        "LIVEKIT_API_SECRET and GOOGLE_API_KEY to answer calls"
    )
    return None


async def _serve(settings: Settings, host: str, port: int) -> int:
    try:
        from booking.server import serve

        runner = _agent_runner(settings)
    finally:
        # The GC is back on (see `main`), and what the imports built is frozen: skipped by every
        # later collection. The cyclic garbage among it (a few thousand objects, under 1 MB)
        # stays.
        gc.freeze()
        gc.enable()
    await serve(settings, host=host, port=port, agent_runner=runner)
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="booking", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API (and the phone agent if configured)")
    serve.add_argument("--host", default=None, help="default: HOST or 127.0.0.1")
    serve.add_argument("--port", type=int, default=None, help="default: PORT or 8000")
    commands.add_parser("migrate", help="apply database migrations up to the latest")
    seed = commands.add_parser(
        "seed-demo", help="create the demo business if the database has no business"
    )
    seed.add_argument(
        "--json", action="store_true", help="print ids and a fresh token as JSON (or skipped: true)"
    )
    business = commands.add_parser("create-business", help="create a business and its first token")
    business.add_argument("--name", required=True)
    business.add_argument("--timezone", required=True, help="IANA name, e.g. Europe/London")
    business.add_argument("--region", required=True, help="phone region, e.g. GB or US")
    business.add_argument("--number", action="append", help="a number that rings it (repeatable)")
    business.add_argument("--transfer-number", default=None)
    token = commands.add_parser("create-token", help="issue an admin API token")
    token.add_argument("--business-id", type=int, required=True)
    token.add_argument("--name", default=None, help="default: the role")
    token.add_argument(
        "--role",
        choices=("owner", "staff"),
        default="staff",
        help="owner also manages tokens, webhooks and settings (default: staff)",
    )
    backup = commands.add_parser(
        "backup", help="copy the SQLite database, even while serving (PostgreSQL: use pg_dump)"
    )
    backup.add_argument("path", help="the backup file to write")
    restore = commands.add_parser(
        "restore", help="put a backup in place of the SQLite database (stop serving first)"
    )
    restore.add_argument("path", help="the backup file to restore")
    doctor = commands.add_parser(
        "doctor",
        help="check the set-up end to end: settings, database, numbers, LiveKit, Gemini, webhooks",
    )
    doctor.add_argument(
        "--json", action="store_true", help="print a JSON list of {check, ok, detail, advice}"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command != "serve":
        return _run(args)
    # `serve` imports some 170,000 objects that live as long as the process (430,000 with the
    # agent), and the cyclic GC went over them again and again as they piled up: about 0.2 s of
    # an HTTP-only start, 0.8 s with the agent. So it is off until `_serve` has imported.
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()  # on already once serving; this is for a start-up that failed first


def _run(args: argparse.Namespace) -> int:
    if args.command == "doctor":  # it loads the settings itself: a bad one is one of its lines
        from booking.doctor import main as doctor

        return doctor(as_json=args.json)
    from booking.config import SettingsError, get_settings
    from booking.errors import BookingError
    from booking.logging import configure_logging

    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"booking: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        if args.command == "serve":
            return asyncio.run(
                _serve(settings, args.host or settings.host, args.port or settings.port)
            )
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "seed-demo":
            return asyncio.run(_seed_demo(settings, args.json))
        if args.command == "create-business":
            return asyncio.run(_create_business(settings, args))
        if args.command == "create-token":
            return asyncio.run(_create_token(settings, args))
        if args.command in ("backup", "restore"):
            from booking.backup import run_backup, run_restore

            run = run_backup if args.command == "backup" else run_restore
            return run(settings, args.path)
    except BookingError as exc:
        print(f"booking: {exc.message}", file=sys.stderr)
        return 1
    except Exception as exc:  # the one place a surprise becomes a line, not a traceback
        from booking.server import SchemaNotCurrent

        if isinstance(exc, SchemaNotCurrent | AgentSettingsIncomplete):
            print(f"booking: {exc}", file=sys.stderr)
            return 1
        raise
    return 2
