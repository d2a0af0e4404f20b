"""`booking create-business` with several bad values names every one of them in its line."""

from __future__ import annotations

from pathlib import Path

from tests.test_cli_errors import migrated, one_line_failure
from tests.test_settings_and_cli import business_rows, run_booking


def test_a_business_with_a_bad_zone_and_a_bad_region_is_told_both(tmp_path: Path) -> None:
    """An unknown time zone and an unknown region are named in the one line of the refusal,
    and no business is created."""
    env = migrated(tmp_path)
    result = run_booking(
        *("create-business", "--name", "X", "--timezone", "Mars/Olympus", "--region", "ZZ"),
        env=env,
        cwd=tmp_path,
    )
    line = one_line_failure(result)
    assert "timezone:" in line and "Mars/Olympus" in line
    assert "region:" in line and "'ZZ'" in line
    assert business_rows(tmp_path) == []
