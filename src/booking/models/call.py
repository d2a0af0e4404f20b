"""The call log: one row per phone call, the tools it ran, and messages taken for staff."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from booking.models.base import Base, UTCDateTime, utcnow


class CallOutcome(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    BOOKED = "booked"
    RESCHEDULED = "rescheduled"
    CANCELLED = "cancelled"
    MESSAGE = "message"
    TRANSFERRED = "transferred"
    INFO = "info"
    ABANDONED = "abandoned"
    FAILED = "failed"
    MODEL_UNAVAILABLE = "model_unavailable"  # Gemini could not be reached at all
    REFUSED = "refused"  # a blocked number, or too many calls: dropped before the model


class Call(Base):
    __tablename__ = "calls"
    # Counting a number's recent calls (the repeat-call limit) reads this index alone.
    __table_args__ = (Index("ix_calls_repeat", "business_id", "caller_number", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL"), index=True
    )
    room_name: Mapped[str] = mapped_column(String(200), default="")
    caller_number: Mapped[str | None] = mapped_column(String(20))
    dialled_number: Mapped[str | None] = mapped_column(String(20))
    caller_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[CallOutcome] = mapped_column(
        Enum(
            CallOutcome,
            name="call_outcome",
            native_enum=False,
            length=24,
            values_callable=lambda members: [m.value for m in members],
            create_constraint=True,
        ),
        default=CallOutcome.IN_PROGRESS,
    )
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)


class ToolCall(Base):
    """One tool the agent ran during a call: arguments, result or error, and latency."""

    __tablename__ = "tool_calls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    arguments: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    result: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Message(Base):
    """A callback request taken by the agent, for staff to handle."""

    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), index=True
    )
    caller_name: Mapped[str] = mapped_column(String(200), default="")
    callback_number: Mapped[str | None] = mapped_column(String(20))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
