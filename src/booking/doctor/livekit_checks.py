"""LiveKit through its server API (Twirp): the key pair is accepted, an inbound SIP trunk
carries each business's number, and a dispatch rule sends calls to this agent by name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import aiohttp
from livekit import api

from booking.config import Settings
from booking.doctor.result import CheckResult, failed, passed, skipped
from booking.services.businesses import BusinessInfo

LIVEKIT_WAIT_SECONDS = 5.0
TRUNK_ADVICE = (
    "create an inbound trunk listing it: `lk sip inbound create inbound-trunk.json` with "
    '{"trunk": {"name": "...", "numbers": ["+12125550100"]}}, or add it to an existing trunk'
)


@dataclass(frozen=True)
class SipSetup:
    """The inbound trunks and dispatch rules the LiveKit server has."""

    trunks: list[Any]  # api.SIPInboundTrunkInfo
    rules: list[Any]  # api.SIPDispatchRuleInfo


def _host(url: str) -> str:
    """Host and port only, never a user part."""
    parsed = urlparse(url)
    if parsed.hostname is None:
        return "?"
    return f"{parsed.hostname}:{parsed.port}" if parsed.port else parsed.hostname


async def read_sip_setup(
    settings: Settings, within: float = LIVEKIT_WAIT_SECONDS
) -> tuple[CheckResult, SipSetup | None]:
    """List trunks and dispatch rules with the configured key pair: this proves the server
    answers and the pair is accepted (the SIP admin grant the agent uses to transfer)."""
    url = settings.livekit_url or ""
    if not url.startswith(("wss://", "ws://", "https://", "http://")):
        return failed(
            "livekit",
            f"LIVEKIT_URL {url!r} is not a LiveKit server URL",
            "set LIVEKIT_URL to your server, e.g. wss://your-project.livekit.cloud",
        ), None
    assert settings.livekit_api_key is not None and settings.livekit_api_secret is not None
    client = api.LiveKitAPI(
        url,
        settings.livekit_api_key.get_secret_value(),
        settings.livekit_api_secret.get_secret_value(),
        timeout=aiohttp.ClientTimeout(total=within),
        failover=False,  # one server, one answer: no retries against other regions
    )
    try:
        trunks = await client.sip.list_inbound_trunk(api.ListSIPInboundTrunkRequest())
        rules = await client.sip.list_dispatch_rule(api.ListSIPDispatchRuleRequest())
    except api.TwirpError as exc:
        return _refused(exc), None
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return failed(
            "livekit",
            f"cannot reach LiveKit at {_host(url)}: {str(exc) or type(exc).__name__}",
            "check LIVEKIT_URL and that the LiveKit server is running and reachable from here",
        ), None
    finally:
        await client.aclose()
    setup = SipSetup(list(trunks.items), list(rules.items))
    detail = (
        f"{_host(url)} accepts the key pair; {len(setup.trunks)} inbound trunk(s), "
        f"{len(setup.rules)} dispatch rule(s)"
    )
    return passed("livekit", detail), setup


def _refused(exc: Any) -> CheckResult:
    status, message = exc.status, exc.message or exc.code
    if status == 401:
        return failed(
            "livekit",
            f"LiveKit refused the key pair (401: {message})",
            "LIVEKIT_API_SECRET does not match LIVEKIT_API_KEY: copy both from the same key "
            "in your LiveKit project's settings",
        )
    if status == 403:
        return failed(
            "livekit",
            f"the key pair may not manage SIP (403: {message})",
            "use a key with admin rights in your LiveKit project",
        )
    return failed(
        "livekit",
        f"LiveKit answered {status} ({message})",
        "check LIVEKIT_URL points at a LiveKit server with SIP enabled",
    )


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def carries(trunk: Any, number: str) -> bool:
    """A trunk with no numbers accepts calls to any number."""
    listed = {_digits(n) for n in trunk.numbers}
    return not listed or _digits(number) in listed


def check_trunks(setup: SipSetup | None, businesses: list[BusinessInfo] | None) -> CheckResult:
    """Every business number is carried by an inbound trunk, or LiveKit turns its calls away."""
    if setup is None:
        return skipped("sip trunks", "LiveKit did not answer: not checked")
    if businesses is None:
        return skipped("sip trunks", "the database is not usable: no numbers to look for")
    missing = [
        f"{business.name} ({number})"
        for business in businesses
        for number in business.numbers
        if not any(carries(trunk, number) for trunk in setup.trunks)
    ]
    if missing:
        return failed(
            "sip trunks", "no inbound SIP trunk carries " + ", ".join(missing), TRUNK_ADVICE
        )
    count = sum(len(b.numbers) for b in businesses)
    return passed("sip trunks", f"every business number ({count}) has an inbound trunk")


def dispatched_agents(rule: Any) -> set[str]:
    return {agent.agent_name for agent in rule.room_config.agents if agent.agent_name}


def check_dispatch(setup: SipSetup | None, agent_name: str) -> CheckResult:
    """A dispatch rule names AGENT_NAME: the agent registers for explicit dispatch, so a
    call no rule sends to it rings an empty room."""
    if setup is None:
        return skipped("sip dispatch", "LiveKit did not answer: not checked")
    named = [r for r in setup.rules if agent_name in dispatched_agents(r)]
    if named:
        rule = named[0]
        label = rule.name or rule.sip_dispatch_rule_id
        return passed("sip dispatch", f"rule {label!r} dispatches agent {agent_name!r}")
    others = sorted(set().union(*(dispatched_agents(r) for r in setup.rules)))
    detail = f"no SIP dispatch rule dispatches agent {agent_name!r}"
    if others:
        detail += "; the rules dispatch " + ", ".join(repr(name) for name in others)
    elif setup.rules:
        detail += "; no rule names any agent"
    else:
        detail += "; there is no dispatch rule"
    return failed(
        "sip dispatch",
        detail,
        f'add {{"agentName": "{agent_name}"}} to a dispatch rule\'s roomConfig.agents '
        "(`lk sip dispatch create`), or set AGENT_NAME to the name the rule dispatches",
    )


async def check_livekit(
    settings: Settings, businesses: list[BusinessInfo] | None
) -> list[CheckResult]:
    """The three LiveKit lines: the server and key pair, trunks, dispatch."""
    reached, setup = await read_sip_setup(settings)
    return [reached, check_trunks(setup, businesses), check_dispatch(setup, settings.agent_name)]
