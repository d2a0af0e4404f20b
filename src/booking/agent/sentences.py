"""Service errors as one sentence the model can say; never a stack trace, never silence."""

from __future__ import annotations

from booking import errors
from booking.agent.bridge import BridgeTimeout

SYSTEM_TROUBLE = (
    "The booking system is not answering right now. Apologise and offer to take a message."
)
SOMETHING_WRONG = "Something went wrong on our side. Apologise and offer to take a message."


def _sentence(text: str) -> str:
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def sentence_for(exc: BaseException) -> str:
    """The sentence for a service error, written for the model to relay to the caller."""
    if isinstance(exc, BridgeTimeout):
        return (
            "The booking system is slow right now. Apologise, ask the caller to hold a moment, "
            "then try once more."
        )
    if isinstance(exc, errors.Unavailable):
        return SYSTEM_TROUBLE
    if isinstance(exc, errors.SlotUnavailable):
        return "That time was just taken by someone else."
    if isinstance(exc, errors.OutsideHours):
        return _sentence(exc.reason)
    if isinstance(exc, errors.InvalidInput):
        return _sentence(exc.reason)
    if isinstance(exc, errors.NotFound):
        if exc.resource == "appointment":
            return "I can't find that appointment among this caller's appointments."
        return _sentence(f"I can't find that {exc.resource}")
    if isinstance(exc, errors.BookingError):
        return _sentence(exc.message)
    return SOMETHING_WRONG
