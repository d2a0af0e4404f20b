"""structlog set up once: console output in a terminal, JSON otherwise; personal data masked.

The libraries' standard-library lines (httpx, uvicorn, litestar, livekit, ...) go through the
same level, masking and renderer as ours: one handler on the root logger, nothing else."""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.typing import Processor

# Nine to fifteen digits, optionally with single separators: phone-shaped, not a date or address.
_PHONE = re.compile(r"(?<![\w:.\-])\+?\d(?:[ ()\-.]{0,2}\d){8,14}(?![\w:])")
_UNMASKED_KEYS = frozenset({"timestamp", "level", "logger"})
_EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+)")
_BEARER = re.compile(r"(bk_[A-Za-z0-9_-]{4})[A-Za-z0-9_-]+")
# A URL's query string (`?a=b&c=d`): where API keys and receivers' phone numbers travel.
_QUERY = re.compile(r"\?[^\s\"'<>#?]*=[^\s\"'<>#]*")
# Loggers that frameworks give handlers of their own: theirs go, ours (on the root) serve them.
ADOPTED_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "litestar", "httpx", "livekit")


def mask_phone(value: str) -> str:
    """Keep only the last two digits of a phone number: enough to tell calls apart in a log."""
    digits = [c for c in value if c.isdigit()]
    return "***" + "".join(digits[-2:]) if digits else value


def mask_text(text: str) -> str:
    """Mask every phone number, email address, API token and URL query string in free text."""
    text = _QUERY.sub("?…", text)
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


def _renderer(fmt: str) -> Processor:
    use_console = sys.stderr.isatty() if fmt == "auto" else fmt == "console"
    return structlog.dev.ConsoleRenderer() if use_console else structlog.processors.JSONRenderer()


def _finishing(renderer: Processor) -> list[Processor]:
    """The last steps of every line, ours or a library's: tracebacks become text, then
    everything is masked (exception messages carry SQL parameters and URLs), then rendered."""
    return [structlog.processors.format_exc_info, _mask_event, renderer]


_STAMPS: list[Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.processors.add_log_level,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def _not_caldav_through_root(record: logging.LogRecord) -> bool:
    """The CalDAV library logs a server's unexpected answer, body and traceback included,
    at CRITICAL through the root logger. Our code turns each such failure into a short
    reason on the connection, so the line is only alarm and whatever the server sent."""
    return not (record.name == "root" and f"{os.sep}caldav{os.sep}" in record.pathname)


def _standard_handler(renderer: Processor) -> logging.Handler:
    """A stderr handler that renders a standard-library record as one of our lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_not_caldav_through_root)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[
                *_STAMPS,
                structlog.stdlib.add_logger_name,
                structlog.processors.StackInfoRenderer(),
            ],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                *_finishing(renderer),
            ],
        )
    )
    return handler


def _route_standard_logging(level: int, renderer: Processor) -> None:
    """Make our handler the root logger's only one, and let the loggers frameworks configure
    for themselves propagate to it: their lines then obey our level, masking and format."""
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(_standard_handler(renderer))
    root.setLevel(level)
    for name in ADOPTED_LOGGERS:
        adopted = logging.getLogger(name)
        adopted.handlers.clear()
        adopted.propagate = True
        adopted.setLevel(level)
    logging.captureWarnings(True)  # Python's warnings become lines too, not bare stderr text


def configure_logging(level: str = "info", fmt: str = "auto") -> None:
    """Configure structlog and the standard library logging: one level, one format, masked.

    Libraries log at WARNING and above even when ours is more verbose: their INFO lines (each
    HTTP request httpx sends, for one) are noise, and may carry what we do not control."""
    renderer = _renderer(fmt)
    numeric = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[*_STAMPS, *_finishing(renderer)],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )
    _route_standard_logging(max(numeric, logging.WARNING), renderer)


def get_logger(name: str) -> Any:
    """A structlog logger bound to a module name."""
    return structlog.get_logger(name)
