"""Staff members, their weekly hours, their date overrides and the services they perform."""

from __future__ import annotations

from datetime import date, time
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
    Time,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from booking.models.base import Base

if TYPE_CHECKING:
    from booking.models.service import Service

staff_services = Table(
    "staff_services",
    Base.metadata,
    Column("staff_id", ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id", ondelete="CASCADE"), primary_key=True),
)


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    calendar_key: Mapped[str | None] = mapped_column(String(64))

    hours: Mapped[list[WeeklyHours]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="WeeklyHours.weekday"
    )
    services: Mapped[list[Service]] = relationship(secondary=staff_services, lazy="selectin")


class WeeklyHours(Base):
    """One working interval on a weekday (0 = Monday); a lunch break makes two intervals."""

    __tablename__ = "weekly_hours"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
        CheckConstraint("closes_at > opens_at", name="order"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens_at: Mapped[time] = mapped_column(Time)
    closes_at: Mapped[time] = mapped_column(Time)


class DateOverride(Base):
    """Hours for one date replacing the weekly ones; a row with no times means a day off."""

    __tablename__ = "date_overrides"
    __table_args__ = (
        CheckConstraint(
            "(opens_at IS NULL AND closes_at IS NULL) OR (closes_at > opens_at)", name="order"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    on_date: Mapped[date] = mapped_column(Date)
    opens_at: Mapped[time | None] = mapped_column(Time)
    closes_at: Mapped[time | None] = mapped_column(Time)
    reason: Mapped[str] = mapped_column(String(200), default="")
