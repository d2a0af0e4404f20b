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


@pytest.mark.processes
def test_serve_prints_the_page_and_admin_link_signs_in_once(tmp_path: Path) -> None:
    """The "serving" line carries admin=<url>/admin; a link from `booking admin-link --url`
    opens a confirmation page, signs the owner in (the Today page then answers), and a second
    use of it is refused; an unknown business is one line on stderr."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/booking.db",
        "LOG_FORMAT": "json",
    }
    for name in ("BUSINESS_ID", "STAFF_ID", "LIVEKIT_URL", "LIVEKIT_API_KEY", "GOOGLE_API_KEY"):
        env.pop(name, None)
    run = {"env": env, "cwd": tmp_path, "capture_output": True, "text": True}
    subprocess.run([*BOOKING, "migrate"], check=True, **run)  # type: ignore[call-overload]
    subprocess.run([*BOOKING, "seed-demo"], check=True, **run)  # type: ignore[call-overload]
    server = subprocess.Popen(
        [*BOOKING, "serve", "--port", "0"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stderr is not None
        serving = next(
            event
            for event in (json.loads(line) for line in server.stderr)
            if event.get("event") == "serving"
        )
        url = serving["url"]
        assert serving["admin"] == url + "/admin"
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
