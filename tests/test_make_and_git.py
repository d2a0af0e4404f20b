"""`make run` says what it is doing at each step, and git never picks up customer data."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def planned_lines(*targets: str) -> list[str]:
    """What make would print and run for `targets` from scratch (-B), without running it."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        ["make", "-n", "-B", *targets], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout.splitlines()


def test_first_install_prints_a_line_before_each_slow_step():
    """Creating the virtualenv and each pip install is announced by a line saying what it is
    (the dependencies' line warns it takes minutes), so the first `make run` never looks
    stuck."""
    lines = planned_lines("install")
    for slow in ("-m venv", "-r requirements.lock", "--no-deps -e .", "compileall"):
        step = next(i for i, line in enumerate(lines) if slow in line)
        assert lines[step - 1].startswith('echo "make: '), (slow, lines[step - 1])
    assert any("a few minutes the first time" in line for line in lines)


def test_run_ends_by_saying_where_it_serves_and_how_to_sign_in():
    """Before `booking serve` takes over the terminal, `make run` says it logs its address and
    the web page's, and that the admin token printed above (or a one-time link) signs in."""
    lines = planned_lines("run")
    seed = next(i for i, line in enumerate(lines) if line.endswith("booking seed-demo"))
    serve = next(i for i, line in enumerate(lines) if line.endswith("booking serve"))
    before = " ".join(lines[seed + 1 : serve])
    assert "address" in before and "/admin" in before and "admin-link" in before
    assert "Authorization: Bearer" in before


def test_backups_and_data_are_ignored_by_git():
    """The README's backup folder and the default database folder hold customers' data:
    git ignores both."""
    result = subprocess.run(
        ["git", "check-ignore", "backups/booking-2026-12-01.db", "data/booking.db"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["backups/booking-2026-12-01.db", "data/booking.db"]
