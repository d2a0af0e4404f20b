"""The README's API examples work, on any day, against a real `booking serve`."""

from __future__ import annotations

import shutil
from datetime import date

import pytest

from booking.cli import later_date
from tests.readme_examples import REFUSED_ON_PURPOSE, problems, run_examples


@pytest.mark.skipif(
    shutil.which("curl") is None or shutil.which("bash") is None, reason="needs curl and bash"
)
def test_readme_api_examples_succeed_in_order(tmp_path):
    """Every curl example of the README's API section, run in order against a fresh demo
    database, answers 2xx, except the few that show a refusal (and those answer the 4xx they
    show); ids they use (customer 1, staff 3, appointment 1) exist by the time they are used."""
    answers, failed = run_examples(tmp_path)
    assert not failed
    assert len(answers) > 40
    assert problems(answers) == []
    refused = [a for a in answers if not 200 <= a.status < 300]
    assert len(refused) == len(REFUSED_ON_PURPOSE)


def test_booking_date_counts_days_then_finds_the_weekday():
    """`booking date` is tomorrow by default; --weekday moves on to the first such day (never
    back), so the README's "next Tuesday" is 1 to 7 days ahead."""
    monday = date(2026, 11, 30)
    assert later_date(monday, 1, None) == date(2026, 12, 1)
    assert later_date(monday, 1, "tuesday") == date(2026, 12, 1)
    assert later_date(date(2026, 12, 1), 1, "tuesday") == date(2026, 12, 8)
    assert later_date(date(2026, 12, 1), 28, None) == date(2026, 12, 29)
