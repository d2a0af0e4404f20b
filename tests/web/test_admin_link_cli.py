"""`booking serve` names the web page's address, and `booking admin-link` prints a one-time
link that signs the owner in to a running server once."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.web.conftest import csrf_of

BOOKING = [sys.executable, "-m", "booking"]


def _environment(tmp_path: Path, **settings: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/booking.db",
        "LOG_FORMAT": "json",
        **settings,
    }
    for name in ("BUSINESS_ID", "STAFF_ID", "LIVEKIT_URL", "LIVEKIT_API_KEY", "GOOGLE_API_KEY"):
        env.pop(name, None)
    return env


def _serving(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """`booking serve --port 0`, and its "serving" log line once it listens."""
    server = subprocess.Popen(
        [*BOOKING, "serve", "--port", "0"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert server.stderr is not None
    for line in server.stderr:
        event = json.loads(line)
        if event.get("event") == "serving":
            return server, event
    raise AssertionError(f"booking serve stopped before serving (exit {server.wait()})")


def _demo_token(env: dict[str, str], cwd: Path) -> str:
    run = {"env": env, "cwd": cwd, "capture_output": True, "text": True, "check": True}
    subprocess.run([*BOOKING, "migrate"], **run)  # type: ignore[call-overload]
    seeded = subprocess.run([*BOOKING, "seed-demo", "--json"], **run)  # type: ignore[call-overload]
    return str(json.loads(seeded.stdout)["token"])


@pytest.mark.processes
@pytest.mark.parametrize(("trusted", "secure"), [("", False), ("127.0.0.1", True)])
def test_the_cookie_is_secure_when_a_trusted_proxy_says_https(
    tmp_path: Path, trusted: str, secure: bool
) -> None:
    """Behind a proxy named in TRUSTED_PROXIES, X-Forwarded-Proto: https makes the session
    cookie Secure; from a client nobody trusts, the same header changes nothing."""
    env = _environment(tmp_path, **({"TRUSTED_PROXIES": trusted} if trusted else {}))
    token = _demo_token(env, tmp_path)
    server, serving = _serving(env, tmp_path)
    try:
        forwarded = {"X-Forwarded-Proto": "https"}
        with httpx.Client(base_url=serving["url"], headers=forwarded) as browser:
            form = browser.get("/admin/sign-in")
            csrf = csrf_of(form.text)
            # A browser at https would send back the (then Secure) CSRF cookie; httpx at
            # http:// would not, so it is sent by hand.
            cookie = f"booking_csrf={form.cookies['booking_csrf']}"
            answer = browser.post(
                "/admin/sign-in",
                data={"token": token, "_csrf_token": csrf},
                headers={"Cookie": cookie},
            )
        assert answer.status_code == 303
        cookie = answer.headers["set-cookie"]
        assert cookie.startswith("booking_session=")
        assert ("Secure" in cookie) is secure
        assert "HttpOnly" in cookie
    finally:
        server.terminate()
        server.communicate(timeout=30)


@pytest.mark.processes
def test_serve_prints_the_page_and_admin_link_signs_in_once(tmp_path: Path) -> None:
    """The "serving" line carries admin=<url>/admin and how to sign in there; a link from
    `booking admin-link --url` opens a confirmation page, signs the owner in (the Today page
    then answers), and a second use of it is refused; an unknown business is one line on
    stderr."""
    env = _environment(tmp_path)
    run = {"env": env, "cwd": tmp_path, "capture_output": True, "text": True}
    _demo_token(env, tmp_path)
    server, serving = _serving(env, tmp_path)
    try:
        url = serving["url"]
        assert serving["admin"] == url + "/admin"
        assert "open the admin address and paste an admin token" in serving["sign_in"]
        assert "`booking admin-link` for a one-time sign-in link" in serving["sign_in"]
        made = subprocess.run(  # type: ignore[call-overload]
            [*BOOKING, "admin-link", "--business-id", "1", "--url", url], check=True, **run
        )
        link = made.stdout.strip()
        assert re.fullmatch(re.escape(url) + r"/admin/link/bkl_[\w-]+", link)
        with httpx.Client(base_url=url) as browser:
            csrf = csrf_of(browser.get(link).text)
            first = browser.post(link, data={"_csrf_token": csrf})
            assert first.status_code == 303
            assert browser.get("/admin/today").status_code == 200
            again = browser.post(link, data={"_csrf_token": csrf})
            assert again.status_code == 401
        unknown = subprocess.run([*BOOKING, "admin-link", "--business-id", "99"], **run)  # type: ignore[call-overload]
        assert unknown.returncode == 1
        assert unknown.stderr.strip() == "booking: no business with id 99"
    finally:
        server.terminate()
        server.communicate(timeout=30)


@pytest.mark.processes
def test_admin_link_needs_no_business_id_when_there_is_one_business(tmp_path: Path) -> None:
    """With only the demo business, `booking admin-link` alone prints a link (as the serving
    line suggests); once a second business exists it refuses, naming both ids and the flag."""
    env = _environment(tmp_path)
    run = {"env": env, "cwd": tmp_path, "capture_output": True, "text": True}
    _demo_token(env, tmp_path)
    alone = subprocess.run([*BOOKING, "admin-link"], **run)  # type: ignore[call-overload]
    assert alone.returncode == 0, alone.stderr
    assert re.fullmatch(r"http://127\.0\.0\.1:8000/admin/link/bkl_[\w-]+", alone.stdout.strip())
    subprocess.run(  # type: ignore[call-overload]
        [*BOOKING, "create-business", "--name", "Harbour Dental", "--timezone", "Europe/London",
         "--region", "GB", "--number", "+44 20 7946 0000"],
        check=True, **run,
    )  # fmt: skip
    several = subprocess.run([*BOOKING, "admin-link"], **run)  # type: ignore[call-overload]
    assert several.returncode == 1
    assert several.stderr.strip() == (
        "booking: several businesses (1, 2): name one with --business-id"
    )
