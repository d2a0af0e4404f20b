"""An appointment: who, with whom, what, and the instants (UTC) it starts, ends and blocks until.

`blocked_until` is the end plus the service's buffer. The database refuses two booked
appointments of one staff member whose [starts_at, blocked_until) ranges overlap: an exclusion
constraint on PostgreSQL, triggers on SQLite (created in the migrations).
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    false,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from booking.models.base import Base, UTCDateTime, utcnow


class AppointmentStatus(enum.StrEnum):
    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


class AppointmentSource(enum.StrEnum):
    PHONE = "phone"
    API = "api"


def _enum(kind: type[enum.StrEnum], name: str) -> Enum:
    return Enum(
        kind,
        name=name,
        native_enum=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        create_constraint=True,
    )


class Appointment(Base):
    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("ends_at > starts_at", name="order"),
        CheckConstraint("blocked_until >= ends_at", name="buffer"),
        Index("ix_appointments_staff_starts", "staff_id", "starts_at"),
        Index("ix_appointments_customer_starts", "customer_id", "starts_at"),
        # SQLite's overlap trigger finds a staff member's next booked appointment through it.
        Index(
            "ix_appointments_booked_staff_until",
            "staff_id",
            "blocked_until",
            sqlite_where=text("status = 'booked'"),
            postgresql_where=text("status = 'booked'"),
        ),
        ExcludeConstraint(
            ("staff_id", "="),
            (text("tstzrange(starts_at, blocked_until, '[)')"), "&&"),
            name="ex_appointments_no_overlap",
            using="gist",
            where=text("status = 'booked'"),
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="RESTRICT"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id", ondelete="SET NULL"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("services.id", ondelete="SET NULL"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[AppointmentStatus] = mapped_column(
        _enum(AppointmentStatus, "appointment_status"), default=AppointmentStatus.BOOKED
    )
    source: Mapped[AppointmentSource] = mapped_column(
        _enum(AppointmentSource, "appointment_source"), default=AppointmentSource.API
    )
    notes: Mapped[str] = mapped_column(String(1000), default="")
    # Kept booked by choice when a schedule change left it outside the hours (see stranding).
    outside_hours: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The customer said they will come (a "Y" answer to a text).
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)
