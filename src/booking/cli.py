"""The `booking` command: serve, migrate, seed-demo, create-business, create-token, admin-link,
backup, restore, date, doctor.

Every failure a user can meet (a bad setting, an unreachable database, a number in use, a port in
use) is one line on stderr starting with "booking:" and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, NoReturn

from booking import __version__, cli_accounts
from booking.cli_problems import one_line_problem
from booking.cli_support import AgentSettingsIncomplete, CliError, database, prepare_sqlite_file

# Pydantic, SQLAlchemy and structlog are imported in `_run`: for `serve`, with the GC paused.
if TYPE_CHECKING:
    from booking.agent.worker import AgentRunner
    from booking.config import Settings

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


async def _migrate(settings: Settings) -> int:
    from booking.migrate import current_revision, upgrade

    prepare_sqlite_file(settings.database_url)
    db = database(settings, must_exist=False)
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
    db = database(settings)
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
            f"Its admin token was printed when it was created. To sign in to the web page: "
            f"booking admin-link --business-id {demo.business_id} (a one-time link); for a new "
            f"admin token: booking create-token --business-id {demo.business_id} --role owner"
        )
    return 0


async def _date(settings: Settings, args: argparse.Namespace) -> int:
    """A date for scripts and the README's examples, counted from today in the business's time
    zone (not the machine's), so the examples work on any day and with any `date` command."""
    start: date | None = args.from_date
    if start is None:
        start = await _business_today(settings, args.business_id)
    print(later_date(start, args.days, args.weekday).isoformat())
    return 0


async def _business_today(settings: Settings, business_id: int | None) -> date:
    from booking.server import ensure_schema_current
    from booking.services.businesses import get_business
    from booking.services.demo import first_business_id

    db = database(settings)
    try:
        await ensure_schema_current(db)
        business_id = business_id or settings.business_id or await first_business_id(db)
        if business_id is None:
            raise CliError("no business yet: run `booking seed-demo` or `booking create-business`")
        business = await get_business(db, business_id)
    finally:
        await db.dispose()
    return datetime.now(business.zone).date()


def later_date(start: date, days: int, weekday: str | None) -> date:
    """`days` after `start`, then forward to the first `weekday` (if given) on or after it."""
    day = start + timedelta(days=days)
    if weekday is not None:
        day += timedelta(days=(WEEKDAYS.index(weekday) - day.weekday()) % 7)
    return day


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


def _agent_runner(settings: Settings) -> AgentRunner | None:
    """The phone agent when configured; without it `serve` says so once HTTP listens."""
    if agent_mode(settings):
        from booking.agent.worker import AgentRunner  # LiveKit is imported only to answer calls

        return AgentRunner(settings)
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


class _Parser(argparse.ArgumentParser):
    """Usage mistakes in one line too, pointing at --help instead of printing the usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-01") from None


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="booking", description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--version", action="version", version=f"booking {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API (and the phone agent if configured)")
    serve.add_argument("--host", default=None, help="default: HOST or 127.0.0.1")
    serve.add_argument("--port", type=port_number, default=None, help="default: PORT or 8000")
    commands.add_parser(
        "migrate",
        help="apply database migrations up to the latest; creates a SQLite file (and its "
        "directory) that does not exist yet, saying so",
    )
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
    remove = commands.add_parser(
        "delete-business", help="delete a business and all its data (confirm with its name)"
    )
    remove.add_argument("--id", type=int, required=True)
    remove.add_argument("--confirm", required=True, help="the business's exact name")
    token = commands.add_parser("create-token", help="issue an admin API token")
    token.add_argument("--business-id", type=int, required=True)
    token.add_argument("--name", default=None, help="default: the role")
    token.add_argument(
        "--role",
        choices=("owner", "staff"),
        default="staff",
        help="owner also manages tokens, webhooks and settings (default: staff)",
    )
    link = commands.add_parser(
        "admin-link", help="print a one-time link that signs the owner in to the web page"
    )
    link.add_argument(
        "--business-id", type=int, default=None, help="default: the only business there is"
    )
    link.add_argument(
        "--url", default=None, help="where the page is reached (default: http://HOST:PORT)"
    )
    backup = commands.add_parser(
        "backup", help="copy the SQLite database, even while serving (PostgreSQL: use pg_dump)"
    )
    backup.add_argument("path", help="the backup file to write")
    restore = commands.add_parser(
        "restore", help="put a backup in place of the SQLite database (stop serving first)"
    )
    restore.add_argument("path", help="the backup file to restore")
    when = commands.add_parser(
        "date",
        help="print a date (YYYY-MM-DD) counted from today in the business's time zone; "
        "default: tomorrow",
    )
    when.add_argument("--days", type=int, default=1, help="days after the start (default 1)")
    when.add_argument(
        "--weekday", choices=WEEKDAYS, default=None, help="then the first such day on or after"
    )
    when.add_argument(
        "--from", dest="from_date", type=_iso_date, default=None, help="start here, not today"
    )
    when.add_argument(
        "--business-id",
        type=int,
        default=None,
        help="whose time zone (default: BUSINESS_ID or the lowest id)",
    )
    doctor = commands.add_parser(
        "doctor",
        help="check the set-up end to end: settings, database, numbers, LiveKit, Gemini, webhooks",
    )
    doctor.add_argument(
        "--json", action="store_true", help="print a JSON list of {check, ok, detail, advice}"
    )
    return parser


def port_number(text: str) -> int:
    """A TCP port, 0 (any free one) to 65535; argparse turns the refusal into one line."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535)")
    return port


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
    from booking.logging import configure_logging

    try:
        settings = get_settings()
    except SettingsError as exc:
        print(f"booking: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.log_format)
    try:
        if args.command == "serve":
            port = settings.port if args.port is None else args.port  # --port 0: a free port
            return asyncio.run(_serve(settings, args.host or settings.host, port))
        if args.command == "migrate":
            return asyncio.run(_migrate(settings))
        if args.command == "seed-demo":
            return asyncio.run(_seed_demo(settings, args.json))
        if args.command == "create-business":
            return asyncio.run(cli_accounts.create_business_command(settings, args))
        if args.command == "create-token":
            return asyncio.run(cli_accounts.create_token_command(settings, args))
        if args.command == "admin-link":
            return asyncio.run(cli_accounts.admin_link(settings, args))
        if args.command == "delete-business":
            return asyncio.run(cli_accounts.delete_business_command(settings, args))
        if args.command == "date":
            return asyncio.run(_date(settings, args))
        if args.command in ("backup", "restore"):
            from booking.backup import run_backup, run_restore

            run = run_backup if args.command == "backup" else run_restore
            return run(settings, args.path)
    except Exception as exc:  # the one place a known failure becomes a line, not a traceback
        problem = one_line_problem(exc, settings.database_url)
        if problem is None:
            raise
        print(f"booking: {problem}", file=sys.stderr)
        return 1
    return 2


__all__ = ["AgentSettingsIncomplete", "CliError", "agent_mode", "later_date", "main"]
