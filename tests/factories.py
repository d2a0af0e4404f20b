"""Builders for test data through the real services (no rows written behind their back)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from booking.db import Database
from booking.services import businesses, customers, staff, tokens

WEEKDAYS = range(5)


@dataclass(frozen=True)
class Shop:
    business_id: int
    sam: int  # Mon-Fri 09:00-12:00 and 13:00-17:00
    alex: int  # Tue-Sat 10:00-13:00 and 13:30-18:00
    haircut: int  # 30 min + 10 min buffer
    trim: int  # 15 min, no buffer
    colour: int  # 90 min + 15 min buffer
    ada: int  # customer +12345678900
    token: str


async def make_shop(
    db: Database,
    *,
    name: str = "Test Salon",
    timezone: str = "America/New_York",
    region: str = "US",
    min_notice_minutes: int = 60,
    number: str = "+12125550100",
) -> Shop:
    business = await businesses.create_business(
        db,
        name=name,
        timezone=timezone,
        region=region,
        numbers=[number],
        transfer_number="+12125550199",
        min_notice_minutes=min_notice_minutes,
        horizon_days=60,
        cancellation_cutoff_minutes=120,
    )
    haircut = await staff.create_service(db, business.id, "Haircut", 30, buffer_minutes=10)
    trim = await staff.create_service(db, business.id, "Beard trim", 15)
    colour = await staff.create_service(db, business.id, "Colour", 90, buffer_minutes=15)
    sam = await staff.create_staff(
        db,
        business.id,
        "Sam",
        weekly_hours={d: [(time(9), time(12)), (time(13), time(17))] for d in WEEKDAYS},
        service_ids=[haircut, trim],
    )
    alex = await staff.create_staff(
        db,
        business.id,
        "Alex",
        weekly_hours={d: [(time(10), time(13)), (time(13, 30), time(18))] for d in range(1, 6)},
        service_ids=[haircut, trim, colour],
    )
    ada = await customers.create_customer(db, business.id, phone="+12345678900", name="Ada")
    token = await tokens.create_token(db, business.id, "test")
    return Shop(business.id, sam.id, alex.id, haircut, trim, colour, ada.id, token.secret)
