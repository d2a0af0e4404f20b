"""Settings are validated once, the agent's settings are all-or-nothing, and the CLI says why."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from booking.cli import AgentSettingsIncomplete, agent_mode
from booking.config import SettingsError, load_settings
from booking.logging import mask_text

ROOT = Path(__file__).resolve().parents[1]


def run_booking(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "booking", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_bad_value_names_the_variable():
    """A malformed setting stops start-up with one line naming the variable."""
    with pytest.raises(SettingsError, match="PORT"):
        load_settings(port="eighty")
    with pytest.raises(SettingsError, match="DATABASE_URL"):
        load_settings(database_url="mysql://x")


def test_transcription_notice_can_be_turned_off(monkeypatch):
    """An empty TRANSCRIPTION_NOTICE keeps the default (empty variables mean "unset"); `off`
    silences the notice."""
    monkeypatch.setenv("TRANSCRIPTION_NOTICE", "")
    assert load_settings().transcription_notice.startswith("This call is transcribed")
    monkeypatch.setenv("TRANSCRIPTION_NOTICE", "off")
    assert load_settings().transcription_notice == ""
    monkeypatch.setenv("TRANSCRIPTION_NOTICE", "Calls are recorded.")
    assert load_settings().transcription_notice == "Calls are recorded."


def test_agent_settings_all_or_nothing():
    """No agent settings: HTTP only. All four: the agent runs. Some: refused, naming the rest."""
    assert agent_mode(load_settings()) is False
    full = load_settings(
        livekit_url="wss://x", livekit_api_key="k", livekit_api_secret="s", google_api_key="g"
    )
    assert agent_mode(full) is True
    with pytest.raises(AgentSettingsIncomplete, match="LIVEKIT_API_SECRET, GOOGLE_API_KEY"):
        agent_mode(load_settings(livekit_url="wss://x", livekit_api_key="k"))


def test_gemini_factory_builds_offline_with_a_dummy_key():
    """The production factory builds a Gemini Live RealtimeModel from the settings, offline."""
    from livekit.plugins import google

    from booking.agent.model import gemini_factory

    settings = load_settings(
        google_api_key="dummy", gemini_voice="Kore", gemini_model="gemini-test-model"
    )
    model = gemini_factory(settings)()
    assert isinstance(model, google.realtime.RealtimeModel)
    assert model.model == "gemini-test-model"


def test_non_blocking_tools_are_refused_in_one_line():
    """A deliberate GEMINI_TOOL_BEHAVIOR other than blocking stops start-up with one line
    saying why: the model could promise a booking that does not exist yet."""
    with pytest.raises(SettingsError) as refused:
        load_settings(gemini_tool_behavior="non_blocking")
    message = str(refused.value)
    assert "\n" not in message
    assert message.startswith("invalid configuration: GEMINI_TOOL_BEHAVIOR: must be blocking")


def test_vertex_ai_settings_name_what_is_missing(tmp_path):
    """Vertex AI needs a project and a service account key file; each missing piece is named
    in one line, and a complete set counts as the agent's Google setting."""
    with pytest.raises(SettingsError, match="GOOGLE_CLOUD_PROJECT is required"):
        load_settings(google_genai_use_vertexai=True)
    with pytest.raises(SettingsError, match=r"GOOGLE_APPLICATION_CREDENTIALS .* is required"):
        load_settings(google_genai_use_vertexai=True, google_cloud_project="clinic")
    with pytest.raises(SettingsError, match="GOOGLE_APPLICATION_CREDENTIALS: no file at"):
        load_settings(
            google_genai_use_vertexai=True,
            google_cloud_project="clinic",
            google_application_credentials=str(tmp_path / "missing.json"),
        )
    key = tmp_path / "key.json"
    key.write_text("{}")
    vertex = load_settings(
        livekit_url="wss://x",
        livekit_api_key="k",
        livekit_api_secret="s",
        google_genai_use_vertexai=True,
        google_cloud_project="clinic",
        google_application_credentials=str(key),
    )
    assert agent_mode(vertex) is True
    assert vertex.google_cloud_location == "us-central1"


def test_logs_mask_phone_numbers_emails_and_tokens():
    """Log text keeps only the last two digits of a phone and hides emails and tokens."""
    masked = mask_text("call from +1 (234) 567-8900 ada@example.com bk_secretvalue123")
    assert "567" not in masked and masked.count("***00") == 1
    assert "ada@" not in masked and "secretvalue" not in masked


def test_serve_refuses_partial_agent_settings(tmp_path):
    """`booking serve` with only some LiveKit/Google settings exits 1 naming what is missing."""
    result = run_booking(
        "serve",
        env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/b.db", "LIVEKIT_URL": "wss://x"},
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "missing: LIVEKIT_API_KEY, LIVEKIT_API_SECRET, GOOGLE_API_KEY" in result.stderr


def test_serve_refuses_a_database_that_is_behind(tmp_path):
    """On an unmigrated database `booking serve` exits 1 and names `booking migrate`."""
    result = run_booking(
        "serve", env={"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/b.db"}, cwd=tmp_path
    )
    assert result.returncode == 1
    assert "booking migrate" in result.stderr


def test_migrate_then_seed_demo_is_idempotent(tmp_path):
    """migrate + seed-demo create one demo business; a second seed finds it and --json gives
    ids and a fresh token."""
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/b.db"}
    assert run_booking("migrate", env=env, cwd=tmp_path).returncode == 0
    first = run_booking("seed-demo", env=env, cwd=tmp_path)
    assert "Admin token (shown once): bk_" in first.stdout
    second = run_booking("seed-demo", "--json", env=env, cwd=tmp_path)
    data = json.loads(second.stdout)
    assert data["created"] is False and data["business_id"] == 1
    assert len(data["staff_ids"]) == 2 and len(data["service_ids"]) == 3
    assert data["token"].startswith("bk_")


def sqlite_env(tmp_path: Path) -> dict[str, str]:
    return {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/b.db"}


def business_rows(tmp_path: Path) -> list[tuple[int, str]]:
    with sqlite3.connect(tmp_path / "b.db") as conn:
        return conn.execute("SELECT id, name FROM businesses ORDER BY id").fetchall()


def authenticates(tmp_path: Path, secret: str) -> int | None:
    from booking.db import Database
    from booking.services.tokens import authenticate

    async def check() -> int | None:
        db = Database.from_url(f"sqlite+aiosqlite:///{tmp_path}/b.db")
        try:
            return await authenticate(db, secret)
        finally:
            await db.dispose()

    return asyncio.run(check())


def create_london_business(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return run_booking(
        "create-business",
        "--name",
        "Kensington Cuts",
        "--timezone",
        "Europe/London",
        "--region",
        "GB",
        "--number",
        "+44 20 7946 0000",
        "--transfer-number",
        "020 7946 0999",
        env=sqlite_env(tmp_path),
        cwd=tmp_path,
    )


def test_create_business_prints_its_id_and_a_working_token(tmp_path):
    """create-business stores the business with E.164 numbers and prints its id and an admin
    token that authenticates as that business."""
    assert run_booking("migrate", env=sqlite_env(tmp_path), cwd=tmp_path).returncode == 0
    result = create_london_business(tmp_path)
    assert result.returncode == 0, result.stderr
    business_id = int(re.search(r"Business (\d+) created", result.stdout).group(1))
    secret = re.search(r"Admin token \(shown once\): (bk_\S+)", result.stdout).group(1)
    assert business_rows(tmp_path) == [(business_id, "Kensington Cuts")]
    with sqlite3.connect(tmp_path / "b.db") as conn:
        tz, region, transfer = conn.execute(
            "SELECT timezone, default_region, transfer_number FROM businesses WHERE id = ?",
            (business_id,),
        ).fetchone()
        numbers = conn.execute(
            "SELECT number FROM business_numbers WHERE business_id = ?", (business_id,)
        ).fetchall()
    assert (tz, region, transfer) == ("Europe/London", "GB", "+442079460999")
    assert numbers == [("+442079460000",)]
    assert authenticates(tmp_path, secret) == business_id


def test_create_business_rejects_a_bad_timezone_in_one_line(tmp_path):
    """An unknown --timezone exits non-zero with one line naming the timezone, creating
    nothing."""
    env = sqlite_env(tmp_path)
    assert run_booking("migrate", env=env, cwd=tmp_path).returncode == 0
    result = run_booking(
        "create-business",
        *("--name", "X", "--timezone", "Europe/Atlantis", "--region", "GB"),
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "timezone" in lines[0]
    assert "Traceback" not in result.stderr
    assert business_rows(tmp_path) == []


def test_create_token_prints_a_token_or_names_the_unknown_business(tmp_path):
    """create-token prints a token for an existing business; an unknown business id exits 1
    saying there is no such business."""
    env = sqlite_env(tmp_path)
    assert run_booking("migrate", env=env, cwd=tmp_path).returncode == 0
    assert create_london_business(tmp_path).returncode == 0
    result = run_booking("create-token", "--business-id", "1", "--name", "x", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    secret = result.stdout.strip()
    assert secret.startswith("bk_") and authenticates(tmp_path, secret) == 1
    missing = run_booking(
        "create-token", "--business-id", "99", "--name", "x", env=env, cwd=tmp_path
    )
    assert missing.returncode == 1
    assert missing.stderr.strip() == "booking: no business with id 99"
    assert missing.stdout == ""


def test_seed_demo_skips_a_database_that_already_has_a_business(tmp_path):
    """seed-demo after create-business creates no demo (one business stays) and says why,
    in one line; with --json it reports skipped and no token."""
    env = sqlite_env(tmp_path)
    assert run_booking("migrate", env=env, cwd=tmp_path).returncode == 0
    assert create_london_business(tmp_path).returncode == 0
    result = run_booking("seed-demo", env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and "Demo not created" in lines[0] and "already has" in lines[0]
    assert "bk_" not in result.stdout
    as_json = run_booking("seed-demo", "--json", env=env, cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == {
        "created": False,
        "skipped": True,
        "existing_business_id": 1,
    }
    assert business_rows(tmp_path) == [(1, "Kensington Cuts")]
    with sqlite3.connect(tmp_path / "b.db") as conn:
        assert conn.execute("SELECT count(*) FROM business_numbers").fetchone() == (1,)


def test_seed_demo_twice_creates_one_demo(tmp_path):
    """Running seed-demo twice on an empty database leaves exactly one Demo Salon, with its two
    staff and three services; the second run reports it as present and says how to sign in
    again (a one-time link, or a new owner token)."""
    env = sqlite_env(tmp_path)
    assert run_booking("migrate", env=env, cwd=tmp_path).returncode == 0
    first = run_booking("seed-demo", env=env, cwd=tmp_path)
    second = run_booking("seed-demo", env=env, cwd=tmp_path)
    assert first.returncode == 0 and second.returncode == 0
    assert "Demo business created" in first.stdout
    assert "Demo business already present" in second.stdout and "bk_" not in second.stdout
    assert "booking admin-link --business-id 1 (a one-time link)" in second.stdout
    assert "booking create-token --business-id 1 --role owner" in second.stdout
    assert business_rows(tmp_path) == [(1, "Demo Salon")]
    with sqlite3.connect(tmp_path / "b.db") as conn:
        assert conn.execute("SELECT count(*) FROM staff").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM services").fetchone() == (3,)


def test_after_make_run_a_real_business_takes_over_and_the_demo_can_go(tmp_path):
    """migrate, seed-demo, create-business: the new business's output says the demo is still
    there and how to remove it; delete-business refuses a wrong name in one line and, with the
    demo's exact name, removes it and all its rows."""
    env = sqlite_env(tmp_path)
    assert run_booking("migrate", env=env, cwd=tmp_path).returncode == 0
    assert run_booking("seed-demo", env=env, cwd=tmp_path).returncode == 0
    created = create_london_business(tmp_path)
    assert created.returncode == 0, created.stderr
    assert "The demo business (id 1) is still here" in created.stdout
    assert "booking delete-business --id 1 --confirm 'Demo Salon'" in created.stdout
    wrong = run_booking("delete-business", "--id", "1", "--confirm", "Demo", env=env, cwd=tmp_path)
    assert wrong.returncode == 1
    assert len(wrong.stderr.strip().splitlines()) == 1 and "exact name" in wrong.stderr
    gone = run_booking(
        "delete-business", "--id", "1", "--confirm", "Demo Salon", env=env, cwd=tmp_path
    )
    assert gone.returncode == 0, gone.stderr
    assert [name for _, name in business_rows(tmp_path)] == ["Kensington Cuts"]
    with sqlite3.connect(tmp_path / "b.db") as conn:
        assert conn.execute("SELECT count(*) FROM staff WHERE business_id = 1").fetchone() == (0,)
