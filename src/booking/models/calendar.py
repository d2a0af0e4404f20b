"""A staff member's own calendars (an ICS address or a CalDAV account) and the busy intervals
read from them: only start and end, never a title, an attendee or a description."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from booking.models.base import Base, UTCDateTime, utcnow


class CalendarKind(enum.StrEnum):
    ICS = "ics"
    CALDAV = "caldav"


class CalendarConnection(Base):
    """Where one staff member's busy times come from, and how the last sync went.

    `password` is write-only in the API and masked in logs. `read_calendars` names the CalDAV
    calendars to read (their URLs or display names; empty: all of them); `write_calendar`, when
    set, is the CalDAV calendar that bookings are written to. `sync_state` holds what makes an
    unchanged source cheap to ask again (an ICS feed's ETag and Last-Modified, a CalDAV
    calendar's ctag or sync-token). `lease_owner`/`lease_until` let one process of several take
    a connection for one sync; `next_sync_at` is when it is due (later after failures).
    """

    __tablename__ = "calendar_connections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[int] = mapped_column(
        ForeignKey("businesses.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CalendarKind] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    url: Mapped[str] = mapped_column(String(2000))
    username: Mapped[str | None] = mapped_column(String(200))
    password: Mapped[str | None] = mapped_column(String(500))
    read_calendars: Mapped[list[str]] = mapped_column(JSON, default=list)
    write_calendar: Mapped[str | None] = mapped_column(String(2000))
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    sync_state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    events_seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    busy_seen: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_sync_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BusyInterval(Base):
    """A time a staff member's own calendar says they are busy, in UTC; replaced as a whole,
    per connection, on each successful sync."""

    __tablename__ = "busy_intervals"
    __table_args__ = (Index("ix_busy_intervals_staff_time", "staff_id", "starts_at", "ends_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connection_id: Mapped[int] = mapped_column(
        ForeignKey("calendar_connections.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
