"""Printing the results: one line per check, coloured only on a terminal, or JSON."""

from __future__ import annotations

import json
from collections.abc import Sequence

from booking.doctor.result import CheckResult

_GREEN, _RED, _YELLOW, _RESET = "\033[32m", "\033[31m", "\033[33m", "\033[0m"


def _mark(result: CheckResult, colour: bool) -> str:
    if result.skipped:
        word, tint = "skip", _YELLOW
    elif result.ok:
        word, tint = "ok", _GREEN
    else:
        word, tint = "FAIL", _RED
    padded = f"{word:<4}"
    return f"{tint}{padded}{_RESET}" if colour else padded


def line(result: CheckResult, *, colour: bool = False) -> str:
    """`ok    database: ...`, or `FAIL  livekit: ... -> what to do`."""
    text = f"{_mark(result, colour)}  {result.check}: {result.detail}"
    if not result.ok and result.advice:
        text += f" -> {result.advice}"
    return text


def summary(results: Sequence[CheckResult]) -> str:
    failures = sum(not r.ok for r in results)
    if not failures:
        return "booking doctor: every check passed"
    return f"booking doctor: {failures} of {len(results)} checks failed"


def as_lines(results: Sequence[CheckResult], *, colour: bool = False) -> str:
    return "\n".join([*(line(r, colour=colour) for r in results), summary(results)])


def as_json(results: Sequence[CheckResult]) -> str:
    return json.dumps([r.as_json() for r in results], indent=2)


def exit_code(results: Sequence[CheckResult]) -> int:
    """1 when any check failed; skipped checks do not count."""
    return 0 if all(r.ok for r in results) else 1
