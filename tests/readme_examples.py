"""Run the README's API examples, in order, against a real `booking serve`.

The `sh` blocks of the README's "The HTTP API" section run in bash as they are written, except
that `TOKEN=` and `API=` are pointed at a server started here (a fresh SQLite database, migrated,
with the demo business and its owner token), and `curl` is a function that records each status.
An answer of 5xx, no answer, or a 4xx from an example meant to succeed is a failure.

    python -m tests.readme_examples      # prints each example's status; exit 1 on a failure
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SECTION = "## The HTTP API"

# Examples that show a refusal, or need what a fresh demo cannot have: (method, URL part) ->
# why, and the statuses they may answer. Anything else must answer 2xx.
REFUSED_ON_PURPOSE: dict[tuple[str, str], tuple[str, frozenset[int]]] = {
    ("POST", "/api/appointments/1/status/completed"): (
        "appointment 1 was cancelled just before (and has not started)",
        frozenset({409, 422}),
    ),
    ("GET", "/api/calls/1"): ("no call has come in", frozenset({404})),
    ("POST", "/api/messages/1/handled"): ("no message has been taken", frozenset({404})),
    ("GET", "/calendar.ics?key=..."): ("the key is a placeholder", frozenset({401, 403, 404})),
}

CURL_WRAPPER = r"""
curl() {  # the README's curl, recording "status<TAB>method<TAB>url" for each request
  local body status method=GET url="" arg previous=""
  body=$(mktemp)
  for arg in "$@"; do
    case "$previous" in -X) method=$arg ;; esac
    case "$arg" in http://*|https://*) url=$arg ;; esac
    previous=$arg
  done
  status=$(command curl -sS -o "$body" -w '%{http_code}' "$@") || status=000
  printf '%s\t%s\t%s\n' "$status" "$method" "$url" >> "$README_STATUS_LOG"
  cat "$body"
  rm -f "$body"
}
"""


@dataclass(frozen=True)
class Answer:
    """One request an example made and the status it got."""

    status: int
    method: str
    url: str

    def problem(self, api: str) -> str | None:
        """Why this answer fails the check, or None."""
        where = f"{self.method} {self.url.removeprefix(api)} answered {self.status}"
        for (method, part), (reason, allowed) in REFUSED_ON_PURPOSE.items():
            if method == self.method and self.url.endswith(part):
                return None if self.status in allowed else f"{where} ({reason})"
        return None if 200 <= self.status < 300 else where


def api_blocks(readme: str) -> list[str]:
    """The `sh` blocks of the API section, as written."""
    start = readme.index(SECTION)
    end = readme.find("\n## ", start + len(SECTION))
    section = readme[start : end if end != -1 else None]
    return re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL)


def script_for(blocks: list[str]) -> str:
    """One bash script: the blocks with TOKEN, API and the `booking` command pointed here."""
    text = "\n".join(blocks)
    booking = f"{shlex.quote(sys.executable)} -m booking"
    text, tokens = re.subn(r"(?m)^TOKEN=.*$", 'TOKEN="$README_TOKEN"', text)
    text, apis = re.subn(r"(?m)^API=.*$", 'API="$README_API"', text)
    text = text.replace(".venv/bin/booking", booking)
    if tokens != 1 or apis != 1:
        raise ValueError("the README's API section should set TOKEN= and API= once each")
    return f"set -euo pipefail\n{CURL_WRAPPER}\n{text}\n"


@contextmanager
def demo_server(workdir: Path) -> Iterator[tuple[str, str, dict[str, str]]]:
    """`booking serve` on a free port over a fresh, migrated demo database: (url, token, env)."""
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{workdir}/booking.db",
        "LOG_FORMAT": "json",
    }
    for name in ("BUSINESS_ID", "STAFF_ID", "LIVEKIT_URL", "LIVEKIT_API_KEY", "GOOGLE_API_KEY"):
        env.pop(name, None)
    booking = [sys.executable, "-m", "booking"]
    subprocess.run([*booking, "migrate"], env=env, cwd=workdir, check=True, capture_output=True)
    seeded = subprocess.run(
        [*booking, "seed-demo", "--json"], env=env, cwd=workdir, check=True, capture_output=True
    )
    token = str(json.loads(seeded.stdout)["token"])
    server = subprocess.Popen(
        [*booking, "serve", "--port", "0"],
        env=env,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield _serving_url(server), token, env
    finally:
        server.terminate()
        server.communicate(timeout=30)


def _serving_url(server: subprocess.Popen[str]) -> str:
    assert server.stderr is not None
    for line in server.stderr:
        event = json.loads(line)
        if event.get("event") == "serving":
            return str(event["url"])
    raise RuntimeError(f"booking serve stopped before serving (exit {server.wait()})")


def run_examples(workdir: Path) -> tuple[list[Answer], str]:
    """Run every example against a fresh demo server: (answers in order, the script's stderr)."""
    script = script_for(api_blocks(README.read_text()))
    log = workdir / "statuses.tsv"
    with demo_server(workdir) as (url, token, env):
        ran = subprocess.run(
            ["bash", "-c", script],
            env={**env, "README_TOKEN": token, "README_API": url, "README_STATUS_LOG": str(log)},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
    answers = [
        Answer(int(status), method, target)
        for status, method, target in (row.split("\t") for row in log.read_text().splitlines())
    ]
    failed = f"the examples stopped (exit {ran.returncode}): {ran.stderr}" if ran.returncode else ""
    return answers, failed


def problems(answers: list[Answer], api: str = "") -> list[str]:
    return [found for answer in answers if (found := answer.problem(api)) is not None]


def main() -> int:
    with tempfile.TemporaryDirectory() as workdir:
        answers, failed = run_examples(Path(workdir))
    for answer in answers:
        print(f"{answer.status} {answer.method} {answer.url}")
    wrong = problems(answers) + ([failed] if failed else [])
    for problem in wrong:
        print(f"FAIL {problem}", file=sys.stderr)
    return 1 if wrong else 0


if __name__ == "__main__":
    raise SystemExit(main())
