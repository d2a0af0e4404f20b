"""A business, the numbers that ring it, and the days it is closed."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.models.base import Base, UTCDateTime, utcnow


class Business(Base):
    __tablename__ = "businesses"
    __table_args__ = (
        CheckConstraint("slot_step_minutes BETWEEN 5 AND 240", name="slot_step"),
        CheckConstraint("min_notice_minutes >= 0", name="min_notice"),
        CheckConstraint("horizon_days BETWEEN 1 AND 730", name="horizon"),
        CheckConstraint("cancellation_cutoff_minutes >= 0", name="cancellation_cutoff"),
        CheckConstraint("max_call_seconds BETWEEN 60 AND 1800", name="max_call"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    default_region: Mapped[str] = mapped_column(String(2))
    slot_step_minutes: Mapped[int] = mapped_column(Integer, default=15)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=60)
    horizon_days: Mapped[int] = mapped_column(Integer, default=60)
    cancellation_cutoff_minutes: Mapped[int] = mapped_column(Integer, default=120)
    transfer_number: Mapped[str | None] = mapped_column(String(20))
    max_call_seconds: Mapped[int] = mapped_column(Integer, default=480)
    # How long before an appointment its reminder goes out; 0: no reminders.
    reminder_minutes: Mapped[int] = mapped_column(Integer, default=1440, server_default="1440")
    # Texts go from this number (E.164); none: the business's first number.
    sms_number: Mapped[str | None] = mapped_column(String(20))
    # No text at night: minutes after local midnight when quiet hours start and end (equal: none).
    quiet_from_minute: Mapped[int] = mapped_column(Integer, default=1260, server_default="1260")
    quiet_until_minute: Mapped[int] = mapped_column(Integer, default=480, server_default="480")
    # The demo `make run` seeds: it never answers for unmatched numbers once a real one exists.
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What the receptionist may tell callers about the business (see services/knowledge).
    address: Mapped[str] = mapped_column(String(500), default="", server_default="")
    description: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    directions: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    # The public line's limits (see services/line_caps and services/admission): bookings a
    # call may make, future bookings a customer may hold, bookings a day from withheld numbers,
    # and calls one number may make within a window before it is dropped unanswered.
    max_bookings_per_call: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    max_future_bookings_per_customer: Mapped[int] = mapped_column(
        Integer, default=4, server_default="4"
    )
    max_withheld_bookings_per_day: Mapped[int] = mapped_column(
        Integer, default=5, server_default="5"
    )
    max_calls_per_number: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    repeat_call_window_minutes: Mapped[int] = mapped_column(
        Integer, default=10, server_default="10"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    numbers: Mapped[list[BusinessNumber]] = relationship(
        back_populates="business", cascade="all, delete-orphan", lazy="selectin"
    )
    closures: Mapped[list[Closure]] = relationship(
        back_populates="business", cascade="all, delete-orphan", lazy="selectin"
    )


class BusinessNumber(Base):
    """A phone number (E.164) that rings the business; the dialled number picks the business."""

    __tablename__ = "business_numbers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(ForeignKey("businesses.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(20), unique=True)

    business: Mapped[Business] = relationship(back_populates="numbers")


class Closure(Base):
    """Days (inclusive, local dates) on which the whole business is closed."""

    __tablename__ = "closures"
    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="order"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200), default="")

    business: Mapped[Business] = relationship(back_populates="closures")


class FaqEntry(Base):
    """A question callers ask and the business's own answer to it."""

    __tablename__ = "faq_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(300))
    answer: Mapped[str] = mapped_column(String(1000))
