"""Every `booking` command says what went wrong in one line and exits non-zero: no tracebacks."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from booking import __version__
from booking.migrate import HEAD_REVISION
from tests.conftest import NO_POSTGRES, postgres_server_url
from tests.test_settings_and_cli import create_london_business, run_booking, sqlite_env

CLOSED_PORT_URL = "postgresql+asyncpg://postgres@127.0.0.1:1/postgres"
DATABASE_COMMANDS = [
    ("migrate",),
    ("seed-demo",),
    ("create-business", "--name", "X", "--timezone", "Europe/London", "--region", "GB"),
    ("create-token", "--business-id", "1"),
    ("serve", "--port", "0"),
    ("date",),
]


def one_line_failure(result: subprocess.CompletedProcess[str]) -> str:
    """The single stderr line of a failed command (asserting there is exactly one)."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("booking"), lines[0]
    return lines[0]


def migrated(tmp_path: Path) -> dict[str, str]:
    env = sqlite_env(tmp_path)
    assert run_booking("migrate", env=env, cwd=tmp_path).returncode == 0
    return env


def test_version_prints_the_package_version(tmp_path):
    """`booking --version` prints the installed version and exits 0."""
    result = run_booking("--version", env={}, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"booking {__version__}"


def test_a_usage_mistake_is_one_line(tmp_path):
    """A missing required option exits 2 with one line naming it and pointing at --help."""
    result = run_booking("create-token", env={}, cwd=tmp_path)
    assert result.returncode == 2
    line = one_line_failure(result)
    assert "--business-id" in line and "--help" in line


def test_create_business_with_a_number_in_use_is_one_line(tmp_path):
    """A number another business already uses is refused in one sentence naming the number,
    as the API refuses it, and no second business is created."""
    env = migrated(tmp_path)
    assert create_london_business(tmp_path).returncode == 0
    result = run_booking(
        "create-business",
        *("--name", "Copycat", "--timezone", "Europe/London", "--region", "GB"),
        *("--number", "020 7946 0000"),
        env=env,
        cwd=tmp_path,
    )
    line = one_line_failure(result)
    assert line == "booking: numbers: +442079460000 already rings another business"
    assert "Admin token" not in result.stdout


@pytest.mark.parametrize("command", DATABASE_COMMANDS, ids=lambda c: c[0])
def test_a_closed_database_port_is_one_line(tmp_path, command):
    """A PostgreSQL URL whose port nobody listens on: one line saying the connection was
    refused at that host and port, for every command that opens the database."""
    result = run_booking(*command, env={"DATABASE_URL": CLOSED_PORT_URL}, cwd=tmp_path)
    line = one_line_failure(result)
    assert "cannot connect to the database at postgres@127.0.0.1:1/postgres" in line
    assert "connection refused" in line


def test_a_role_the_server_refuses_is_one_line(tmp_path):
    """A role the PostgreSQL server does not know: one line naming the server and its answer."""
    server = postgres_server_url()
    if server is None:
        pytest.skip(NO_POSTGRES)
    url = make_url(server).set(username="nosuchrole", password=None)
    result = run_booking(
        "migrate",
        env={"DATABASE_URL": url.render_as_string(hide_password=False)},
        cwd=tmp_path,
    )
    line = one_line_failure(result)
    assert "refused the connection" in line and 'role "nosuchrole" does not exist' in line


def test_migrate_creates_a_missing_directory_and_says_so(tmp_path):
    """`booking migrate` on a SQLite path in a folder that does not exist creates the folder
    and the file, and says so in one line before the revision line."""
    database = tmp_path / "new" / "dir" / "b.db"
    result = run_booking(
        "migrate", env={"DATABASE_URL": f"sqlite+aiosqlite:///{database}"}, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[0] == f"creating the database {database} (and its directory {database.parent})"
    assert lines[1] == f"database at revision {HEAD_REVISION}"
    assert database.is_file()


def test_migrate_where_the_directory_cannot_be_made_is_one_line(tmp_path):
    """A SQLite path under a file (so its folder cannot be created) fails in one line."""
    (tmp_path / "plain").write_text("not a folder")
    url = f"sqlite+aiosqlite:///{tmp_path}/plain/b.db"
    line = one_line_failure(run_booking("migrate", env={"DATABASE_URL": url}, cwd=tmp_path))
    assert f"cannot create the directory {tmp_path}/plain" in line


@pytest.mark.parametrize("command", DATABASE_COMMANDS[1:], ids=lambda c: c[0])
def test_a_missing_database_file_names_booking_migrate(tmp_path, command):
    """Every command but migrate, on a SQLite file that does not exist, says so and names
    `booking migrate`, creating neither the file nor its folder."""
    database = tmp_path / "data" / "b.db"
    result = run_booking(
        *command, env={"DATABASE_URL": f"sqlite+aiosqlite:///{database}"}, cwd=tmp_path
    )
    line = one_line_failure(result)
    assert line == f"booking: no database at {database}; run `booking migrate` to create it"
    assert not database.parent.exists()


def test_backup_and_restore_failures_are_one_line(tmp_path):
    """backup without a database, backup into a folder that cannot be made, restore of a
    missing file and of a file that is not a database: one line each, exit 1."""
    missing = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/none.db"}
    assert "no database at" in one_line_failure(
        run_booking("backup", "b.db", env=missing, cwd=tmp_path)
    )
    env = migrated(tmp_path)
    (tmp_path / "plain").write_text("x")
    assert "plain" in one_line_failure(
        run_booking("backup", "plain/sub/b.db", env=env, cwd=tmp_path)
    )
    assert "no backup file" in one_line_failure(
        run_booking("restore", "nothere.db", env=env, cwd=tmp_path)
    )
    assert "plain is not a" in one_line_failure(
        run_booking("restore", "plain", env=env, cwd=tmp_path)
    )


def test_doctor_on_a_closed_port_fails_without_a_traceback(tmp_path):
    """`booking doctor` reports an unreachable database as a failed check and exits 1."""
    result = run_booking("doctor", "--json", env={"DATABASE_URL": CLOSED_PORT_URL}, cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    database = next(c for c in json.loads(result.stdout) if c["check"] == "database")
    assert database["ok"] is False and "cannot connect" in database["detail"]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port on 127.0.0.1 that something else is listening on."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_serve_on_a_port_in_use_says_so_before_claiming_to_serve(tmp_path, busy_port):
    """`booking serve` on a port in use exits 1 with one line naming the port, and never
    logs "serving"."""
    env = {**migrated(tmp_path), "LOG_FORMAT": "json"}
    result = run_booking("serve", "--port", str(busy_port), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "serving" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("booking:")]
    assert errors == [
        f"booking: port {busy_port} is in use on 127.0.0.1; stop what uses it, "
        "or choose another with --port or PORT"
    ]


def start_serving(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], list[str]]:
    """Start `booking serve --port 0` and read its log until it serves; (process, lines)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "booking", "serve", "--port", "0"],
        env={**os.environ, **env, "LOG_FORMAT": "json"},
        cwd=cwd,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    lines: list[str] = []
    for line in process.stderr:
        lines.append(line)
        if json.loads(line).get("event") == "serving":
            break
    return process, lines


def test_serve_warns_when_business_id_names_no_business(tmp_path):
    """With BUSINESS_ID naming no business, `booking serve` starts but warns in one line that
    names the id and says calls to unknown numbers will not be answered."""
    env = {**migrated(tmp_path), "BUSINESS_ID": "42"}
    process, lines = start_serving(env, tmp_path)
    try:
        events = [json.loads(line) for line in lines]
        assert events[-1]["event"] == "serving"
        health = urllib.request.urlopen(f"{events[-1]['url']}/health", timeout=10)
        assert health.status == 200
        warnings = [e for e in events if e["level"] == "warning"]
        assert len(warnings) == 1
        assert "BUSINESS_ID 42 names no business" in warnings[0]["event"]
        assert "calls to unknown numbers will not be answered" in warnings[0]["event"]
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert process.returncode == 0


def test_a_port_out_of_range_is_one_line(tmp_path):
    """`serve --port 99999` is refused in one line naming the range, exit 2; it never serves
    on the port the number wraps round to."""
    result = run_booking("serve", "--port", "99999", env=sqlite_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "booking serve: argument --port: 99999 is not a port number (0 to 65535) "
        "(see booking serve --help)"
    ]
    assert "serving" not in result.stdout
