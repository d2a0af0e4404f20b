"""The settings: they load and validate, and the phone agent's are all given or all absent."""

from __future__ import annotations

from collections.abc import Callable

from booking.config import Settings, SettingsError, load_settings
from booking.doctor.result import CheckResult, failed, passed

AGENT_OFF = "the phone agent is off (no LiveKit or Google settings): not checked"


def check_settings(
    load: Callable[[], Settings] = load_settings,
) -> tuple[CheckResult, Settings | None]:
    """Settings from the environment and `.env`; a bad one is one red line naming it."""
    try:
        settings = load()
    except SettingsError as exc:
        advice = "fix the variable it names, in the environment or in .env"
        return failed("settings", str(exc), advice), None
    return passed("settings", "loaded and valid"), settings


def check_agent_settings(settings: Settings) -> tuple[CheckResult, bool]:
    """The agent's settings, all-or-nothing as `booking serve` requires; (result, agent on)."""
    from booking.cli import AgentSettingsIncomplete, agent_mode

    try:
        on = agent_mode(settings)
    except AgentSettingsIncomplete as exc:
        return (
            failed(
                "agent settings",
                str(exc),
                "set the missing ones to answer calls, or unset all four to serve HTTP only",
            ),
            False,
        )
    if on:
        return passed("agent settings", f"all given; agent name {settings.agent_name!r}"), True
    return passed("agent settings", "none given: `booking serve` will serve HTTP only"), False
