"""A real CalDAV server (Radicale) on loopback for the calendar tests.

Use the `radicale` fixture of `tests/calendars/conftest.py`, or start one yourself::

    with RadicaleServer.start(tmp_path) as server:
        calendar = server.make_calendar("work")          # MKCALENDAR, returns its URL
        server.put_event(calendar, "dentist", ICS_TEXT)  # PUT dentist.ics into it
        server.events(calendar)                          # the VEVENTs stored there, as text
        server.url, server.username, server.password     # what a CalDAV connection needs

Radicale runs as a child process (`python -m radicale`) on 127.0.0.1 and a free port, with its
storage in a temporary folder and htpasswd "plain" authentication for one user; it is stopped,
and its folder left to pytest's tmp_path, when the `with` block ends. Requests made here for
test setup are plain httpx WebDAV calls, independent of the code under test.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from icalendar import Calendar

USERNAME = "staff"
PASSWORD = "app-password-7f3k"

_MKCALENDAR = """<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>{name}</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"Radicale exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"Radicale did not listen on port {port} within {seconds}s")


@dataclass
class RadicaleServer:
    """A running Radicale: its base URL (the CalDAV server URL) and its one user's login."""

    url: str
    username: str
    password: str
    folder: Path

    @classmethod
    @contextmanager
    def start(cls, folder: Path, port: int | None = None) -> Iterator[RadicaleServer]:
        """Run Radicale with storage and its htpasswd file under `folder` until the block ends;
        on `port` when given (to bring a stopped server back at its address), else a free one."""
        folder.mkdir(parents=True, exist_ok=True)
        users = folder / "users"
        users.write_text(f"{USERNAME}:{PASSWORD}\n")
        port = port or free_port()
        config = folder / "config"
        config.write_text(
            "[server]\n"
            f"hosts = 127.0.0.1:{port}\n"
            "[auth]\n"
            "type = htpasswd\n"
            f"htpasswd_filename = {users}\n"
            "htpasswd_encryption = plain\n"
            "delay = 0\n"
            "[rights]\n"
            "type = owner_only\n"
            "[storage]\n"
            f"filesystem_folder = {folder / 'collections'}\n"
            "[logging]\n"
            "level = warning\n"
        )
        process = subprocess.Popen(
            [sys.executable, "-m", "radicale", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=(folder / "radicale.log").open("wb"),
        )
        try:
            _wait_until_listening(port, process, seconds=20)
            yield cls(f"http://127.0.0.1:{port}/", USERNAME, PASSWORD, folder)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def client(self) -> httpx.Client:
        return httpx.Client(auth=(self.username, self.password), timeout=10)

    def make_calendar(self, name: str) -> str:
        """Create the calendar collection `name` for the user; its URL (ending in a slash)."""
        url = f"{self.url}{self.username}/{name}/"
        with self.client() as http:
            # Radicale creates the principal's home on its first authenticated request.
            http.request("PROPFIND", f"{self.url}{self.username}/", headers={"Depth": "0"})
            answer = http.request(
                "MKCALENDAR",
                url,
                content=_MKCALENDAR.format(name=name),
                headers={"Content-Type": "application/xml"},
            )
            answer.raise_for_status()
        return url

    def put_event(self, calendar_url: str, name: str, ics: str) -> str:
        """PUT one iCalendar object as `<name>.ics` into a calendar; its URL."""
        url = f"{calendar_url}{name}.ics"
        with self.client() as http:
            answer = http.put(
                url, content=ics.encode(), headers={"Content-Type": "text/calendar; charset=utf-8"}
            )
            answer.raise_for_status()
        return url

    def delete_event(self, calendar_url: str, name: str) -> None:
        """DELETE `<name>.ics` from a calendar."""
        with self.client() as http:
            http.delete(f"{calendar_url}{name}.ics").raise_for_status()

    def events(self, calendar_url: str) -> list[str]:
        """Every VEVENT stored in a calendar, each as iCalendar text (a GET of the collection)."""
        with self.client() as http:
            answer = http.get(calendar_url)
            answer.raise_for_status()
        calendar = Calendar.from_ical(answer.content)
        return [event.to_ical().decode() for event in calendar.walk("VEVENT")]
