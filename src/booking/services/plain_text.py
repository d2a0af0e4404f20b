"""Text from a caller as plain text: control characters (a bell, a terminal escape, NUL) are
never stored; each reads as a space, so words on either side stay apart."""

from __future__ import annotations

import unicodedata


def without_controls(text: str) -> str:
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)
