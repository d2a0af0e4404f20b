"""The `booking` commands that manage businesses and access: create-business,
delete-business, create-token and admin-link."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from booking.cli_support import CliError, database

if TYPE_CHECKING:
    from booking.config import Settings
    from booking.db import Database
    from booking.errors import InvalidInput


async def create_business_command(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import IntegrityError

    from booking.models.token import TokenRole
    from booking.server import ensure_schema_current
    from booking.services.businesses import create_business
    from booking.services.demo import find_demo
    from booking.services.tokens import create_token

    db = database(settings)
    try:
        await ensure_schema_current(db)
        try:
            business = await create_business(
                db,
                name=args.name,
                timezone=args.timezone,
                region=args.region,
                numbers=args.number or [],
                transfer_number=args.transfer_number,
            )
        except IntegrityError:  # only the numbers are unique: say which, as the API does
            raise await number_problem(db, args.number or [], args.region) from None
        token = await create_token(db, business.id, "owner", TokenRole.OWNER)
        demo = await find_demo(db)
    finally:
        await db.dispose()
    print(f"Business {business.id} created ({business.name}, {business.timezone}).")
    print(f"Admin token (shown once): {token.secret}")
    if demo is not None:
        print(
            f"The demo business (id {demo.business_id}) is still here; it no longer answers "
            f"calls to unknown numbers. Remove it: booking delete-business --id "
            f"{demo.business_id} --confirm 'Demo Salon'"
        )
    return 0


async def delete_business_command(settings: Settings, args: argparse.Namespace) -> int:
    """Delete a business and all its data, confirmed by its exact name."""
    from booking.errors import InvalidInput
    from booking.server import ensure_schema_current
    from booking.services.businesses import delete_business, get_business

    db = database(settings)
    try:
        await ensure_schema_current(db)
        business = await get_business(db, args.id)
        if args.confirm != business.name:
            raise InvalidInput("--confirm", f"must be the business's exact name, {business.name!r}")
        await delete_business(db, args.id)
    finally:
        await db.dispose()
    print(f"Business {args.id} ({business.name}) and all its data deleted.")
    return 0


async def number_problem(db: Database, numbers: list[str], region: str) -> InvalidInput:
    """Why the numbers could not be stored: one rings another business, or one is given twice."""
    from sqlalchemy import select

    from booking.errors import InvalidInput
    from booking.models import BusinessNumber
    from booking.services.phones import normalize_phone

    wanted = [normalize_phone(number, region.upper(), "numbers") for number in numbers]
    async with db.read() as session:
        taken = await session.scalar(
            select(BusinessNumber.number).where(BusinessNumber.number.in_(wanted)).limit(1)
        )
    if taken is not None:
        return InvalidInput("numbers", f"{taken} already rings another business")
    twice = next((n for n in wanted if wanted.count(n) > 1), "a number")
    return InvalidInput("numbers", f"{twice} is given more than once")


async def create_token_command(settings: Settings, args: argparse.Namespace) -> int:
    """Also the way back in for a business that lost its owner tokens: `--role owner`."""
    from booking.models.token import TokenRole
    from booking.server import ensure_schema_current
    from booking.services.tokens import create_token

    role = TokenRole(args.role)
    db = database(settings)
    try:
        await ensure_schema_current(db)
        token = await create_token(db, args.business_id, args.name or role.value, role)
    finally:
        await db.dispose()
    print(token.secret)
    return 0


async def admin_link(settings: Settings, args: argparse.Namespace) -> int:
    """A one-time link to the owner's web page: for an owner who has no token at hand."""
    from booking.models import utcnow
    from booking.server import ensure_schema_current, http_url
    from booking.services.admin_sessions import LINK_LIFETIME, create_link

    db = database(settings)
    try:
        await ensure_schema_current(db)
        business_id = args.business_id or await only_business(db)
        code = await create_link(db, business_id, utcnow())
    finally:
        await db.dispose()
    base = (args.url or http_url(settings.host, settings.port)).rstrip("/")
    minutes = int(LINK_LIFETIME.total_seconds() // 60)
    print(f"{base}/admin/link/{code}")
    print(f"(signs in as the owner once, within {minutes} minutes)", file=sys.stderr)
    return 0


async def only_business(db: Database) -> int:
    """The business meant when none is named: the only one there is (with several, signing
    in to the wrong one must not be a guess)."""
    from sqlalchemy import select

    from booking.models import Business

    async with db.read() as session:
        ids = list((await session.scalars(select(Business.id).order_by(Business.id))).all())
    if not ids:
        raise CliError("no business yet: run `booking seed-demo` or `booking create-business`")
    if len(ids) > 1:
        listed = ", ".join(str(i) for i in ids)
        raise CliError(f"several businesses ({listed}): name one with --business-id")
    return ids[0]
