"""SQLAlchemy models, one module per aggregate; importing this package registers them all."""

from booking.models.admin_session import AdminSession, AppSecret, SignInLink
from booking.models.appointment import Appointment, AppointmentSource, AppointmentStatus
from booking.models.base import MAX_ID, Base, UTCDateTime, utcnow
from booking.models.block_list import BlockedNumber
from booking.models.business import Business, BusinessNumber, Closure, FaqEntry
from booking.models.calendar import BusyInterval, CalendarConnection, CalendarKind
from booking.models.call import Call, CallOutcome, Message, ToolCall
from booking.models.customer import Customer
from booking.models.service import Service
from booking.models.staff import DateOverride, Staff, WeeklyHours, staff_services
from booking.models.token import ApiToken, IdempotencyRecord
from booking.models.webhook import (
    Channel,
    DeliveryStatus,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)

# On SQLite an integer id without AUTOINCREMENT is handed out again once the row holding the
# highest one is deleted; ids leave the process (webhooks, calendar feeds, logs), so never.
for _table in Base.metadata.tables.values():
    if [c.name for c in _table.primary_key.columns] == ["id"]:
        _table.dialect_options["sqlite"]["autoincrement"] = True

__all__ = [
    "MAX_ID",
    "AdminSession",
    "ApiToken",
    "AppSecret",
    "Appointment",
    "AppointmentSource",
    "AppointmentStatus",
    "Base",
    "BlockedNumber",
    "Business",
    "BusinessNumber",
    "BusyInterval",
    "CalendarConnection",
    "CalendarKind",
    "Call",
    "CallOutcome",
    "Channel",
    "Closure",
    "Customer",
    "DateOverride",
    "DeliveryStatus",
    "FaqEntry",
    "IdempotencyRecord",
    "Message",
    "Service",
    "SignInLink",
    "Staff",
    "ToolCall",
    "UTCDateTime",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookSubscription",
    "WeeklyHours",
    "staff_services",
    "utcnow",
]
