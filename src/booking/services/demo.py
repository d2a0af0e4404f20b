"""A demo business so `make run` has something to answer with: a salon in New York.

It is created only in a database with no business at all, so `make run` never adds a demo (and
its phone number) next to a business the user made with `booking create-business`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy import select

from booking.db import Database
from booking.models import Business, Service, Staff
from booking.services import businesses, staff, tokens

DEMO_NAME = "Demo Salon"
WEEKDAYS = range(5)


@dataclass(frozen=True)
class DemoIds:
    business_id: int
    staff_ids: list[int]
    service_ids: list[int]
    created: bool


async def find_demo(db: Database) -> DemoIds | None:
    async with db.read() as session:
        business = await session.scalar(
            select(Business).where(Business.is_demo.is_(True)).order_by(Business.id).limit(1)
        )
        if business is None:
            return None
        staff_ids = list(
            await session.scalars(
                select(Staff.id).where(Staff.business_id == business.id).order_by(Staff.id)
            )
        )
        service_ids = list(
            await session.scalars(
                select(Service.id).where(Service.business_id == business.id).order_by(Service.id)
            )
        )
        return DemoIds(business.id, staff_ids, service_ids, created=False)


async def first_business_id(db: Database) -> int | None:
    """The lowest business id, or None when the database has no business."""
    async with db.read() as session:
        return await session.scalar(select(Business.id).order_by(Business.id).limit(1))


async def seed_demo(db: Database) -> DemoIds | None:
    """Create the demo business in a database with no business; a second run finds and returns
    the first. Returns None, creating nothing, when other businesses exist and no demo does.

    The steps run in separate transactions, the business first: a seed interrupted part-way
    leaves the demo business with fewer staff or services, which later runs report as is.
    """
    existing = await find_demo(db)
    if existing is not None:
        return existing
    if await first_business_id(db) is not None:
        return None
    business = await businesses.create_business(
        db,
        name=DEMO_NAME,
        timezone="America/New_York",
        region="US",
        numbers=["+1 212 555 0100"],
        transfer_number="+1 212 555 0199",
        is_demo=True,
    )
    haircut = await staff.create_service(db, business.id, "Haircut", 30, buffer_minutes=10)
    beard = await staff.create_service(db, business.id, "Beard trim", 15, buffer_minutes=5)
    colour = await staff.create_service(db, business.id, "Colour", 90, buffer_minutes=15)
    sam = await staff.create_staff(
        db,
        business.id,
        "Sam",
        weekly_hours={d: [(time(9), time(12)), (time(13), time(17))] for d in WEEKDAYS},
        service_ids=[haircut, beard],
    )
    alex = await staff.create_staff(
        db,
        business.id,
        "Alex",
        weekly_hours={d: [(time(10), time(13)), (time(13, 30), time(18))] for d in range(1, 6)},
        service_ids=[haircut, beard, colour],
    )
    return DemoIds(business.id, [sam.id, alex.id], [haircut, beard, colour], created=True)


async def issue_demo_token(db: Database, business_id: int) -> str:
    return (await tokens.create_token(db, business_id, "demo admin")).secret
