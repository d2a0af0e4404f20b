"""Settings are validated once, the agent's settings are all-or-nothing, and the CLI says why."""

from __future__ import annotations

import os
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
    import json

    data = json.loads(second.stdout)
    assert data["created"] is False and data["business_id"] == 1
    assert len(data["staff_ids"]) == 2 and len(data["service_ids"]) == 3
    assert data["token"].startswith("bk_")
