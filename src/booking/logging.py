"""structlog set up once: console output in a terminal, JSON otherwise; personal data masked."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog

# Nine to fifteen digits, optionally with single separators: phone-shaped, not a date or address.
_PHONE = re.compile(r"(?<![\w:.\-])\+?\d(?:[ ()\-.]{0,2}\d){8,14}(?![\w:])")
_UNMASKED_KEYS = frozenset({"timestamp", "level", "logger"})
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")
_BEARER = re.compile(r"(bk_[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+")


def mask_phone(value: str) -> str:
    """Keep only the last two digits of a phone number: enough to tell calls apart in a log."""
    digits = [c for c in value if c.isdigit()]
    return "***" + "".join(digits[-2:]) if digits else value


def mask_text(text: str) -> str:
    """Mask every phone number, email address and API token found in free text."""
    text = _BEARER.sub(r"\1…", text)
    text = _EMAIL.sub(r"\1***@\2", text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def _mask_event(
    _logger: Any, _name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    for key, value in list(event_dict.items()):
        if isinstance(value, str) and key not in _UNMASKED_KEYS:
            event_dict[key] = mask_text(value)
    return event_dict


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Configure structlog and the standard library logging it feeds into."""
    use_console = sys.stderr.isatty() if fmt == "auto" else fmt == "console"
    renderer: Any = (
        structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()
    )
    numeric = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _mask_event,  # after the traceback is text: exception messages carry SQL parameters
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stderr, force=True)
    for noisy in ("alembic", "livekit", "uvicorn"):
        logging.getLogger(noisy).setLevel(max(numeric, logging.WARNING))


def get_logger(name: str) -> Any:
    """A structlog logger bound to a module name."""
    return structlog.get_logger(name)
