"""Every Setup page controller, for the router's list (the overview carries the nav entry)."""

from __future__ import annotations

from litestar import Controller

from booking.web.setup import SetupPages
from booking.web.setup_access import TokenSetup, WebhookSetup
from booking.web.setup_business import BusinessSetup
from booking.web.setup_calendars import CalendarSetup
from booking.web.setup_closures import ClosureSetup
from booking.web.setup_hours import HoursSetup
from booking.web.setup_services import ServiceSetup
from booking.web.setup_sessions import SessionSetup
from booking.web.setup_staff import StaffSetup

SETUP_PAGES: list[type[Controller]] = [
    SetupPages,
    BusinessSetup,
    StaffSetup,
    HoursSetup,
    CalendarSetup,
    ServiceSetup,
    ClosureSetup,
    TokenSetup,
    SessionSetup,
    WebhookSetup,
]
