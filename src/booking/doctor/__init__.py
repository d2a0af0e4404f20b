"""`booking doctor`: checks a set-up end to end and says, for each check that fails, what to do.

Each check is a small function returning a `CheckResult` (never printing); `runner` puts them in
order and `report` prints them, as lines for a person or as JSON for a script.
"""

from booking.doctor.result import CheckResult
from booking.doctor.runner import main, run_doctor

__all__ = ["CheckResult", "main", "run_doctor"]
