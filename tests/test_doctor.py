"""`booking doctor` against local stand-ins: a LiveKit server API, Gemini Live, and a database.

Each broken part gives its own red line with what to do, and a non-zero exit code; a healthy
set-up is all green with exit code 0.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from booking.config import Settings, SettingsError, load_settings
from booking.db import Database
from booking.doctor import CheckResult, report, run_doctor
from booking.doctor.outbound_checks import check_webhooks
from booking.services import webhooks
from booking.services.businesses import get_business
from tests.factories import Shop
from tests.gemini_live import server as gemini_live
from tests.gemini_live.server import GeminiLiveStandIn
from tests.livekit_api.server import LiveKitApiStandIn, dispatch_rule, inbound_trunk

SHOP_NUMBER = "+12125550100"  # tests.factories.make_shop's number
AGENT = "booking-receptionist"
SERVED_MODEL = "gemini-3.8-live"
ALL_CHECKS = [
    "settings",
    "agent settings",
    "database",
    "business numbers",
    "livekit",
    "sip trunks",
    "sip dispatch",
    "gemini",
    "webhooks",
    "smtp",
]


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> gemini_live.TestAuthority:
    return gemini_live.TestAuthority(str(tmp_path_factory.mktemp("tls")))


@pytest.fixture
async def livekit() -> AsyncIterator[LiveKitApiStandIn]:
    """A LiveKit server whose trunk carries the shop's number and whose rule names our agent."""
    server = await LiveKitApiStandIn().start()
    server.trunks = [inbound_trunk(SHOP_NUMBER)]
    server.rules = [dispatch_rule(AGENT)]
    yield server
    await server.stop()


@pytest.fixture
async def gemini(
    authority: gemini_live.TestAuthority, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[GeminiLiveStandIn]:
    """Gemini Live serving only gemini-3.8-live, trusted through SSL_CERT_FILE."""
    server = await GeminiLiveStandIn(authority).start()
    server.known_models = {SERVED_MODEL}
    monkeypatch.setenv("SSL_CERT_FILE", server.ca_file)
    yield server
    await server.stop()


def agent_env(livekit: LiveKitApiStandIn, gemini: GeminiLiveStandIn) -> dict[str, str]:
    """The settings of a set-up whose agent talks to the stand-ins."""
    ((key, secret),) = livekit.keys.items()
    return {
        "LIVEKIT_URL": livekit.url,
        "LIVEKIT_API_KEY": key,
        "LIVEKIT_API_SECRET": secret,
        "GOOGLE_API_KEY": "test-key",
        "GEMINI_BASE_URL": gemini.base_url,
        "GEMINI_MODEL": SERVED_MODEL,
        "AGENT_NAME": AGENT,
    }


def loader(
    database_url: str, env: dict[str, str] | None = None, **changes: Any
) -> Callable[[], Settings]:
    """What `load_settings()` would read with these variables set."""
    values: dict[str, Any] = {k.lower(): v for k, v in (env or {}).items()}
    values.update(database_url=database_url, **changes)
    return lambda: load_settings(**values)


def by_check(results: list[CheckResult]) -> dict[str, CheckResult]:
    assert [r.check for r in results] == ALL_CHECKS
    return {r.check: r for r in results}


def failures(results: list[CheckResult]) -> set[str]:
    return {r.check for r in results if not r.ok}


async def run_cli(*args: str, env: dict[str, str], cwd: Path) -> tuple[int, str, str]:
    """`python -m booking ...` in a subprocess, while this loop keeps serving the stand-ins."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "booking",
        *args,
        env={**os.environ, **env},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_healthy_set_up_is_all_green_from_the_command(
    database_url: str, shop: Shop, livekit: LiveKitApiStandIn, gemini: GeminiLiveStandIn, tmp_path
):
    """`booking doctor --json` against a healthy set-up: every check passes (webhooks and
    SMTP skipped, none configured), LiveKit was asked for trunks and rules, Gemini received
    a setup with the receptionist's tools, and the exit code is 0."""
    env = {**agent_env(livekit, gemini), "DATABASE_URL": database_url}
    code, out, err = await run_cli("doctor", "--json", env=env, cwd=tmp_path)
    results = json.loads(out)
    assert [r["check"] for r in results] == ALL_CHECKS, err
    assert [r for r in results if not r["ok"]] == [], err
    assert {r["check"] for r in results if r["skipped"]} == {"webhooks", "smtp"}
    assert all(set(r) >= {"check", "ok", "detail", "advice"} for r in results)
    assert code == 0
    assert livekit.requests == ["ListSIPInboundTrunk", "ListSIPDispatchRule"]
    declared = {
        d["name"]
        for tools in gemini.current.setup["tools"]
        for d in tools.get("functionDeclarations", [])
    }
    assert {"book_appointment", "check_availability", "end_call"} <= declared


async def test_wrong_livekit_secret_is_one_red_line_from_the_command(
    database_url: str, shop: Shop, livekit: LiveKitApiStandIn, gemini: GeminiLiveStandIn, tmp_path
):
    """A secret that does not match the key: LiveKit answers 401, the doctor prints a plain
    `FAIL  livekit:` line (no colour off a terminal) saying the secret does not match the key,
    skips the trunk and dispatch checks it could not make, and exits 1."""
    env = {
        **agent_env(livekit, gemini),
        "LIVEKIT_API_SECRET": "not-the-secret-" + "y" * 32,
        "DATABASE_URL": database_url,
    }
    code, out, _ = await run_cli("doctor", env=env, cwd=tmp_path)
    lines = out.splitlines()
    assert "\033[" not in out
    red = [line for line in lines if line.startswith("FAIL")]
    assert len(red) == 1
    assert red[0].startswith("FAIL  livekit: LiveKit refused the key pair (401")
    assert "LIVEKIT_API_SECRET does not match LIVEKIT_API_KEY" in red[0]
    assert any(line.startswith("skip  sip trunks:") for line in lines)
    assert any(line.startswith("ok    gemini:") for line in lines)
    assert code == 1


async def test_trunk_without_the_business_number_is_red(
    database_url: str, shop: Shop, livekit: LiveKitApiStandIn, gemini: GeminiLiveStandIn
):
    """No inbound trunk lists the business's number: a red `sip trunks` line names the
    business and the number and says how to create the trunk; the exit code is 1."""
    livekit.trunks = [inbound_trunk("+12125550199", "+442079460000")]
    results = await run_doctor(loader(database_url, agent_env(livekit, gemini)))
    trunks = by_check(results)["sip trunks"]
    assert failures(results) == {"sip trunks"}
    assert trunks.detail == f"no inbound SIP trunk carries Test Salon ({SHOP_NUMBER})"
    assert "lk sip inbound create" in trunks.advice
    assert report.exit_code(results) == 1


async def test_trunk_without_numbers_carries_every_number(
    database_url: str, shop: Shop, livekit: LiveKitApiStandIn, gemini: GeminiLiveStandIn
):
    """A trunk that lists no numbers accepts calls to any number, so it carries the shop's."""
    livekit.trunks = [inbound_trunk()]
    results = await run_doctor(loader(database_url, agent_env(livekit, gemini)))
    assert failures(results) == set()
    assert report.exit_code(results) == 0


async def test_dispatch_rule_for_another_agent_is_red(
    database_url: str, shop: Shop, livekit: LiveKitApiStandIn, gemini: GeminiLiveStandIn
):
    """The only dispatch rule sends calls to another agent: a red `sip dispatch` line names
    our agent and the one the rule dispatches, and says how to fix either side."""
    livekit.rules = [dispatch_rule("front-desk")]
    results = await run_doctor(loader(database_url, agent_env(livekit, gemini)))
    dispatch = by_check(results)["sip dispatch"]
    assert failures(results) == {"sip dispatch"}
    assert dispatch.detail == (
        f"no SIP dispatch rule dispatches agent '{AGENT}'; the rules dispatch 'front-desk'"
    )
    assert "AGENT_NAME" in dispatch.advice and AGENT in dispatch.advice
    assert report.exit_code(results) == 1


async def test_unreachable_livekit_is_red(
    database_url: str, shop: Shop, livekit: LiveKitApiStandIn, gemini: GeminiLiveStandIn
):
    """Nothing listens at LIVEKIT_URL: a red `livekit` line names the host and says to check
    LIVEKIT_URL; the checks that need an answer are skipped."""
    url = livekit.url
    await livekit.stop()
    results = await run_doctor(loader(database_url, agent_env(livekit, gemini)))
    found = by_check(results)
    host = url.removeprefix("ws://")
    assert failures(results) == {"livekit"}
    assert found["livekit"].detail.startswith(f"cannot reach LiveKit at {host}")
    assert "LIVEKIT_URL" in found["livekit"].advice
    assert found["sip dispatch"].skipped


async def test_model_gemini_does_not_serve_is_red(
    database_url: str, shop: Shop, livekit: LiveKitApiStandIn, gemini: GeminiLiveStandIn
):
    """Gemini closes the setup with 1008 for a model it does not serve: a red `gemini` line
    says so and advises gemini-3.8-live; the exit code is 1."""
    env = {**agent_env(livekit, gemini), "GEMINI_MODEL": "gemini-2.0-flash-live-001"}
    results = await run_doctor(loader(database_url, env))
    found = by_check(results)["gemini"]
    assert failures(results) == {"gemini"}
    assert found.detail.startswith("Gemini refused the model (1008")
    assert found.advice == (
        "GEMINI_MODEL 'gemini-2.0-flash-live-001' is not served; use gemini-3.8-live"
    )
    assert gemini.refused_models == ["gemini-2.0-flash-live-001"]
    assert report.exit_code(results) == 1


async def test_unmigrated_database_is_red(
    tmp_path, livekit: LiveKitApiStandIn, gemini: GeminiLiveStandIn
):
    """An empty SQLite file: a red `database` line says to run `booking migrate`, the checks
    that read the database are skipped, and the exit code is 1."""
    path = tmp_path / "empty.db"
    path.touch()
    results = await run_doctor(loader(f"sqlite+aiosqlite:///{path}", agent_env(livekit, gemini)))
    found = by_check(results)
    assert failures(results) == {"database"}
    assert "run `booking migrate`" in found["database"].advice
    assert found["business numbers"].skipped and found["sip trunks"].skipped
    assert found["gemini"].ok and not found["gemini"].skipped  # needs no business of ours
    assert report.exit_code(results) == 1


async def test_missing_database_file_is_reported_not_created(tmp_path):
    """DATABASE_URL names a SQLite file that does not exist: red, and no file is left behind."""
    path = tmp_path / "nowhere.db"
    results = await run_doctor(loader(f"sqlite+aiosqlite:///{path}"))
    found = by_check(results)["database"]
    assert found.detail == f"no database file at {path}"
    assert "booking migrate" in found.advice
    assert not path.exists()


async def test_number_not_in_e164_is_red(db: Database, database_url: str, shop: Shop):
    """A number stored as "212-555-0100" (written past the service, which normalises): a red
    `business numbers` line names the business and the number; with the agent off, LiveKit and
    Gemini are skipped with a sentence saying so, and only that line is red."""
    async with db.write() as session:
        await session.execute(text("UPDATE business_numbers SET number = '212-555-0100'"))
    results = await run_doctor(loader(database_url))
    found = by_check(results)
    assert failures(results) == {"business numbers"}
    assert found["business numbers"].detail == (
        f"Test Salon (id {shop.business_id}): '212-555-0100' is not a valid E.164 number"
    )
    assert found["livekit"].skipped
    assert "the phone agent is off" in found["gemini"].detail
    assert report.exit_code(results) == 1


async def test_business_without_a_number_is_red(db: Database, database_url: str, shop: Shop):
    """A business no number rings is red: calls reach it only as the fallback business."""
    async with db.write() as session:
        await session.execute(text("DELETE FROM business_numbers"))
    results = await run_doctor(loader(database_url))
    assert by_check(results)["business numbers"].detail == (
        f"Test Salon (id {shop.business_id}) has no number"
    )
    assert failures(results) == {"business numbers"}


async def test_agent_off_skips_livekit_and_gemini(database_url: str, shop: Shop):
    """None of the agent's settings: the agent checks are skipped, not failed; exit code 0."""
    results = await run_doctor(loader(database_url))
    found = by_check(results)
    for name in ("livekit", "sip trunks", "sip dispatch", "gemini"):
        assert found[name].skipped and found[name].ok
        assert found[name].detail.startswith("the phone agent is off")
    assert report.exit_code(results) == 0


async def test_partial_agent_settings_are_red(database_url: str, shop: Shop):
    """Only some of the agent's settings: red, naming the missing ones, as `booking serve`
    refuses to start; the agent checks are skipped."""
    results = await run_doctor(loader(database_url, livekit_url="wss://x", livekit_api_key="k"))
    found = by_check(results)
    assert failures(results) == {"agent settings"}
    assert "missing: LIVEKIT_API_SECRET, GOOGLE_API_KEY" in found["agent settings"].detail
    assert found["gemini"].skipped


async def test_bad_setting_is_one_red_line():
    """A setting that does not validate is one red line naming it; nothing else can be
    checked, and the rest say so."""

    def bad() -> Settings:
        raise SettingsError("invalid configuration: PORT: Input should be a valid integer")

    results = await run_doctor(bad)
    found = by_check(results)
    assert failures(results) == {"settings"}
    assert "PORT" in found["settings"].detail
    assert all(r.skipped for r in results[1:])
    assert report.exit_code(results) == 1


async def test_webhook_receivers_are_reached(db: Database, shop: Shop):
    """A subscription whose receiver listens is green; one whose port is closed is red,
    naming its host and port but nothing of its path or query."""
    listener = await asyncio.start_server(lambda _r, w: w.close(), "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    businesses = [await get_business(db, shop.business_id)]
    events = ["appointment.booked"]
    await webhooks.create_subscription(
        db, shop.business_id, f"http://127.0.0.1:{port}/h", events, allow_private=True
    )
    assert (await check_webhooks(db, businesses, allow_private=True)).ok
    listener.close()
    await listener.wait_closed()
    await webhooks.create_subscription(
        db, shop.business_id, f"http://127.0.0.1:{port}/h?token=s3cret", events, allow_private=True
    )
    found = await check_webhooks(db, businesses, allow_private=True)
    assert not found.ok
    assert f"127.0.0.1:{port}" in found.detail
    assert "s3cret" not in found.detail and "/h" not in found.detail


def test_lines_are_coloured_only_when_asked():
    """Plain lines start with ok/FAIL/skip; coloured ones carry ANSI codes; red ones end with
    the advice."""
    results = [
        CheckResult("database", True, "fine"),
        CheckResult("gemini", False, "refused", "use gemini-3.8-live"),
        CheckResult("smtp", True, "no SMTP configured", skipped=True),
    ]
    plain = report.as_lines(results).splitlines()
    assert plain[:3] == [
        "ok    database: fine",
        "FAIL  gemini: refused -> use gemini-3.8-live",
        "skip  smtp: no SMTP configured",
    ]
    assert "\033[31mFAIL\033[0m" in report.as_lines(results, colour=True)
    assert report.exit_code(results) == 1


def test_geminis_refusals_become_advice():
    """Gemini's close codes name what to change: 1007 the tool declarations, 1008 with an API
    key message (or an HTTP 401/403 at the handshake) the credentials, 1011 a retry."""
    from google.genai.errors import APIError
    from websockets.datastructures import Headers
    from websockets.exceptions import InvalidStatus
    from websockets.http11 import Response

    from booking.doctor.gemini_check import classify

    settings = load_settings(google_api_key="k")
    tools = classify(APIError(1007, "Invalid function declarations: x", None), settings)
    assert tools.detail == (
        "Gemini refused the session's tool declarations (1007: Invalid function declarations: x)"
    )
    key = classify(
        APIError(1008, "API key not valid. Please pass a valid API key.", None), settings
    )
    assert "GOOGLE_API_KEY" in key.advice
    handshake = InvalidStatus(Response(403, "Forbidden", Headers()))
    assert "GOOGLE_API_KEY" in classify(handshake, settings).advice
    busy = classify(APIError(1011, "The service is currently unavailable.", None), settings)
    assert "run the doctor again" in busy.advice


async def test_unreachable_gemini_is_red(
    database_url: str, shop: Shop, livekit: LiveKitApiStandIn, gemini: GeminiLiveStandIn
):
    """Nothing answers at Gemini's address: a red `gemini` line says it cannot be reached."""
    env = agent_env(livekit, gemini)
    await gemini.stop()
    results = await run_doctor(loader(database_url, env))
    assert failures(results) == {"gemini"}
    assert by_check(results)["gemini"].detail.startswith("cannot reach Gemini Live")
