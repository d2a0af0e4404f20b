"""What one check found: passed, failed (with advice) or skipped (with the reason)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CheckResult:
    """One line of the report. A skipped check is not a failure: `ok` stays true."""

    check: str
    ok: bool
    detail: str
    advice: str = ""
    skipped: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "ok": self.ok,
            "detail": self.detail,
            "advice": self.advice,
            "skipped": self.skipped,
        }


def passed(check: str, detail: str) -> CheckResult:
    return CheckResult(check, True, detail)


def failed(check: str, detail: str, advice: str) -> CheckResult:
    return CheckResult(check, False, detail, advice)


def skipped(check: str, reason: str) -> CheckResult:
    return CheckResult(check, True, reason, skipped=True)
