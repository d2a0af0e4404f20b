"""Logs never carry a full phone number, an email address or an API token (DESIGN.md, Rules).

`structlog.testing.capture_logs` records what our code hands to the logger before any processor
runs, so the masking processor in `booking.logging` is not what makes these tests pass: the
values must not be logged in the first place.
"""

from __future__ import annotations

import json
import logging
import re
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import structlog
from structlog.testing import capture_logs

from booking.api.app import create_app
from booking.db import Database
from booking.logging import ADOPTED_LOGGERS, configure_logging, get_logger, mask_text
from tests.agent.conftest import make_runtime, start_call
from tests.agent.scripted import ScriptedLLM, tool
from tests.conftest import NOW
from tests.factories import Shop

CALLER = "+12125550147"
SPOKEN_CALLBACK = "(212) 555-0188"
EMAIL = "grace.hopper@example.org"


def _texts(value: Any) -> Iterator[str]:
    """Every piece of text in a captured event, however deeply nested."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _texts(item)
    elif isinstance(value, list | tuple | set):
        for item in value:
            yield from _texts(item)
    else:
        yield str(value)


def leaks(events: list[dict[str, Any]], *, phones: list[str], secrets: list[str]) -> list[str]:
    """The captured texts that carry one of the phone numbers (in any format) or secrets."""
    wanted_digits = [re.sub(r"\D", "", p)[-10:] for p in phones]  # the national number
    found = []
    for event in events:
        for text in _texts(event):
            digits = re.sub(r"\D", "", text)
            if any(d in digits for d in wanted_digits) or any(s in text for s in secrets):
                found.append(text)
    return found


async def test_a_phone_call_logs_no_caller_number(
    db: Database, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    """A new caller is saved, books and leaves a message, and a withheld caller leaves a
    callback number by voice: nothing logged on the way (ours through structlog, LiveKit's
    and the libraries' through logging) names either number."""
    caplog.set_level(logging.WARNING)  # what `configure_logging` lets libraries emit
    with capture_logs() as events:
        model = ScriptedLLM(
            [
                tool("create_new_customer", name="Grace Hopper"),
                "Thanks Grace.",
                tool("check_availability", date="2026-12-01", service="haircut"),
                "I have a few times.",
                tool("book_appointment", option_id="T1"),
                "Booked.",
                tool("take_message", message="Please call me about colours"),
                "Noted.",
                tool("cancel_appointment", appointment_id=2**40),
                "Sorry.",
            ]
        )
        call = await start_call(make_runtime(db, model), model, f"sip_{CALLER}")
        for words in ("I'm Grace Hopper", "A haircut Tuesday", "The first", "A message", "Undo"):
            await call.say(words)
        await call.hang_up()

        model = ScriptedLLM(
            [
                tool("take_message", message="Call me back", callback_number=SPOKEN_CALLBACK),
                "Noted.",
                tool("create_new_customer", name="Alan", phone_number=SPOKEN_CALLBACK),
                "Saved.",
            ]
        )
        call = await start_call(make_runtime(db, model), model, None)
        await call.say("Leave a message")
        await call.say("And save me")
        await call.hang_up()
    assert caplog.records  # LiveKit logs the refused cancel, at least
    logged = [*events, *({"event": r.getMessage()} for r in caplog.records)]
    assert not leaks(logged, phones=[CALLER, SPOKEN_CALLBACK], secrets=[])


async def test_admin_requests_log_no_phone_email_or_token(
    db: Database, shop: Shop, caplog: pytest.LogCaptureFixture
) -> None:
    """Creating, looking up and searching a customer, issuing and using a token, and failing
    authentication: nothing logged names the phone, the email or a token secret."""
    caplog.set_level(logging.WARNING)  # what `configure_logging` lets libraries emit
    auth = {"Authorization": f"Bearer {shop.token}"}
    customer = {"business_id": shop.business_id, "phone": SPOKEN_CALLBACK, "name": "Grace"}
    with_email = {**customer, "email": EMAIL}
    lookup = {"business_id": shop.business_id, "phone": SPOKEN_CALLBACK}  # bodies refuse others
    transport = httpx.ASGITransport(app=create_app(db, clock=lambda: NOW))
    with capture_logs() as events:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answers = [
                await client.post("/api/customers", headers=auth, json=with_email),
                await client.post("/api/customers/lookup", headers=auth, json=lookup),
                await client.get("/api/customers", headers=auth, params={"q": "555-0188"}),
                issued := await client.post("/api/tokens", headers=auth, json={"name": "ci"}),
            ]
            secret = issued.json()["secret"]
            answers += [
                await client.get("/api/customers", headers={"Authorization": f"Bearer {secret}"}),
                await client.get("/api/customers", headers={"Authorization": f"Bearer {secret}x"}),
                await client.post("/api/customers", headers=auth, json=customer),
            ]
    assert [a.status_code for a in answers] == [201, 200, 200, 201, 200, 401, 409]
    logged = [*events, *({"event": r.getMessage()} for r in caplog.records)]
    assert not leaks(logged, phones=[SPOKEN_CALLBACK], secrets=[EMAIL, secret, shop.token])


def test_the_masking_net_catches_what_a_careless_log_call_would_leak() -> None:
    """Behind the rule, the log processor masks numbers, emails and tokens in any text."""
    masked = mask_text(f"caller {CALLER} ({SPOKEN_CALLBACK}) wrote {EMAIL} with bk_abcdefghijkl")
    assert not leaks([{"event": masked}], phones=[CALLER, SPOKEN_CALLBACK], secrets=[EMAIL])
    assert "bk_abcdefghijkl" not in masked


@pytest.fixture
def logging_restored() -> Iterator[None]:
    """`configure_logging` takes over the root logger (pytest's handlers included): give it
    back, with the levels and handlers of the loggers it adopts, after the test."""
    root = logging.getLogger()
    saved_root = (list(root.handlers), root.level)
    adopted = [logging.getLogger(name) for name in ADOPTED_LOGGERS]
    saved = [(lg, list(lg.handlers), lg.propagate, lg.level) for lg in adopted]
    yield
    structlog.reset_defaults()
    logging.captureWarnings(False)
    for handler in root.handlers:
        if handler not in saved_root[0]:
            handler.close()
    root.handlers[:], root.level = saved_root
    for logger, handlers, propagate, level in saved:
        logger.handlers[:], logger.propagate = handlers, propagate
        logger.setLevel(level)


@pytest.mark.usefixtures("logging_restored")
def test_a_logged_traceback_is_masked_too(capsys: pytest.CaptureFixture[str]) -> None:
    """An unexpected error's traceback, whose text can quote SQL parameters, goes out through
    the real processor chain masked like any other value."""
    configure_logging("info", "json")
    try:
        raise RuntimeError(f"[parameters: ('{CALLER}', '{EMAIL}', 'bk_abcdefghijkl')]")
    except RuntimeError:
        get_logger("tests.privacy").exception("tool failed", tool="take_message")
    written = capsys.readouterr().err
    assert "tool failed" in written and "RuntimeError" in written
    assert not leaks([{"out": written}], phones=[CALLER], secrets=[EMAIL, "bk_abcdefghijkl"])


@pytest.mark.usefixtures("logging_restored")
def test_library_lines_obey_our_level_json_and_masking(
    db: Database, capfd: pytest.CaptureFixture[str]
) -> None:
    """At warning/json, with the Litestar app built as `serve` builds it: the libraries' lines
    (httpx, livekit, uvicorn, Python warnings) come out as our JSON, masked, URLs without their
    query strings, and nothing below warning comes out, theirs or ours."""
    configure_logging("warning", "json")
    create_app(db)  # must leave the root logger as configured
    hook = f"http://hooks.example/in?to={CALLER}&api_key=sk_live_4f9a1c2e7b"
    logging.getLogger("httpx").info("HTTP Request: POST %s", hook)
    get_logger("tests.privacy").info("an info line of ours")
    logging.getLogger("httpx").warning("HTTP Request: POST %s", hook)
    logging.getLogger("livekit.agents").error("caller %s hung up", CALLER)
    logging.getLogger("uvicorn.error").warning("Invalid HTTP request received.")
    warnings.warn(f"deprecated call from {EMAIL}", UserWarning, stacklevel=1)
    get_logger("tests.privacy").warning("webhook failed", url=hook)
    lines = [json.loads(line) for line in capfd.readouterr().err.splitlines()]
    assert [line.get("logger") for line in lines] == [
        "httpx",
        "livekit.agents",
        "uvicorn.error",
        "py.warnings",
        None,  # ours: structlog names no logger unless bound
    ]
    assert {line["level"] for line in lines} <= {"warning", "error"}
    assert lines[0]["event"] == "HTTP Request: POST http://hooks.example/in?…"
    assert lines[-1]["url"] == "http://hooks.example/in?…"
    assert not leaks(lines, phones=[CALLER], secrets=[EMAIL, "sk_live", "api_key"])
