"""Sessions of the owner's web page: opened with an admin token or a one-time link, checked on
every request, ended by sign-out, expiry, the revocation of the token they came from, or the
owner ending them all (the only way to end one opened with a link before it expires).

Only SHA-256 hashes of the cookie's secret and of the link's code are stored, so a copy of the
database signs nobody in. Everything is in the database: any process serving the page agrees.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, delete, select, update

from booking.db import Database
from booking.models import AdminSession, ApiToken, Business, SignInLink
from booking.models.token import TokenRole
from booking.services import tokens
from booking.services.businesses import load_business
from booking.services.tokens import hash_token

# How long a session lives: closed after IDLE without a request, and after LIFETIME in any case.
IDLE = timedelta(hours=12)
LIFETIME = timedelta(days=7)
# A one-time link works once, within LINK_LIFETIME of being printed.
LINK_LIFETIME = timedelta(minutes=15)
# last_seen_at is written at most this often (a page view is otherwise a read).
TOUCH_EVERY = timedelta(minutes=5)

SESSION_PREFIX = "bks_"
LINK_PREFIX = "bkl_"


@dataclass(frozen=True)
class SignedIn:
    """Who a live session is: its business and what it may do."""

    session_id: int
    business_id: int
    business_name: str
    role: TokenRole
    token_id: int | None = None  # the token it was opened with; None: a one-time link

    @property
    def is_owner(self) -> bool:
        return self.role == TokenRole.OWNER


@dataclass(frozen=True)
class SessionInfo:
    """A live session as the owner sees it: never its secret, only when and how it was opened.
    `token_name` None: opened with a one-time link."""

    id: int
    role: TokenRole
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime  # the sooner of the absolute and the idle expiry
    token_id: int | None
    token_name: str | None


@dataclass(frozen=True)
class Opened:
    """A new session: the cookie's value (shown to the browser once, never stored)."""

    secret: str
    business_id: int
    role: TokenRole


async def _open(
    db: Database, business_id: int, token_id: int | None, role: TokenRole, now: datetime
) -> Opened:
    secret = SESSION_PREFIX + secrets.token_urlsafe(32)
    async with db.write() as session:
        await load_business(session, business_id)
        session.add(
            AdminSession(
                business_id=business_id,
                token_id=token_id,
                role=role.value,
                secret_hash=hash_token(secret),
                created_at=now,
                last_seen_at=now,
                expires_at=now + LIFETIME,
            )
        )
    return Opened(secret, business_id, role)


async def open_with_token(db: Database, token_secret: str, now: datetime) -> Opened | None:
    """A session for a live admin token (with its role), or None for an unknown or revoked one."""
    caller = await tokens.identify(db, token_secret.strip())
    if caller is None:
        return None
    return await _open(db, caller.business_id, caller.token_id, caller.role, now)


async def create_link(db: Database, business_id: int, now: datetime) -> str:
    """A one-time sign-in code for the business (owner), valid for LINK_LIFETIME."""
    code = LINK_PREFIX + secrets.token_urlsafe(32)
    async with db.write() as session:
        await load_business(session, business_id)
        session.add(
            SignInLink(
                business_id=business_id,
                code_hash=hash_token(code),
                created_at=now,
                expires_at=now + LINK_LIFETIME,
            )
        )
    return code


async def open_with_link(db: Database, code: str, now: datetime) -> Opened | None:
    """Spend a one-time code on an owner session; None when it is unknown, used or expired.
    Marking it used is one conditional UPDATE, so two browsers racing get one session."""
    if not code.startswith(LINK_PREFIX) or len(code) > 200:
        return None
    async with db.write() as session:
        business_id = await session.scalar(
            update(SignInLink)
            .where(
                SignInLink.code_hash == hash_token(code),
                SignInLink.used_at.is_(None),
                SignInLink.expires_at > now,
            )
            .values(used_at=now)
            .returning(SignInLink.business_id)
        )
    if business_id is None:
        return None
    return await _open(db, business_id, None, TokenRole.OWNER, now)


async def identify(db: Database, secret: str, now: datetime) -> SignedIn | None:
    """The live session behind a cookie's value, or None: unknown, expired (idle or absolute),
    its token revoked, or its business gone. A live one's last_seen_at is moved on."""
    if not secret.startswith(SESSION_PREFIX) or len(secret) > 200:
        return None
    query = (
        select(AdminSession, Business.name, ApiToken.revoked_at, ApiToken.role)
        .join(Business, Business.id == AdminSession.business_id)
        .outerjoin(ApiToken, ApiToken.id == AdminSession.token_id)
        .where(AdminSession.secret_hash == hash_token(secret))
    )
    async with db.read() as session:
        row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    found, business_name, revoked_at, token_role = row
    if found.token_id is not None and (revoked_at is not None or token_role is None):
        return None
    if now >= found.expires_at or now - found.last_seen_at >= IDLE:
        return None
    if now - found.last_seen_at >= TOUCH_EVERY:
        async with db.write() as session:
            await session.execute(
                update(AdminSession).where(AdminSession.id == found.id).values(last_seen_at=now)
            )
    role = TokenRole(token_role) if token_role is not None else TokenRole(found.role)
    return SignedIn(found.id, found.business_id, business_name, role, found.token_id)


async def close(db: Database, secret: str) -> None:
    """Sign out: the session's row is deleted (a copy of its cookie is worth nothing after)."""
    async with db.write() as session:
        await session.execute(
            delete(AdminSession).where(AdminSession.secret_hash == hash_token(secret))
        )


def _live(business_id: int, now: datetime) -> Select[AdminSession, str, TokenRole]:
    """The business's sessions `identify` would still let in: not expired (idle or absolute),
    not of a revoked token; with the name and role of the token each was opened with."""
    return (
        select(AdminSession, ApiToken.name, ApiToken.role)
        .outerjoin(ApiToken, ApiToken.id == AdminSession.token_id)
        .where(
            AdminSession.business_id == business_id,
            AdminSession.expires_at > now,
            AdminSession.last_seen_at > now - IDLE,
            AdminSession.token_id.is_(None) | ApiToken.revoked_at.is_(None),
        )
    )


async def list_live(db: Database, business_id: int, now: datetime) -> list[SessionInfo]:
    """The business's live sessions, oldest first."""
    query = _live(business_id, now).order_by(AdminSession.created_at, AdminSession.id)
    async with db.read() as session:
        rows = (await session.execute(query)).all()
    return [
        SessionInfo(
            found.id,
            TokenRole(token_role) if token_role is not None else TokenRole(found.role),
            found.created_at,
            found.last_seen_at,
            min(found.expires_at, found.last_seen_at + IDLE),
            found.token_id,
            token_name,
        )
        for found, token_name, token_role in rows
    ]


async def end_all(db: Database, business_id: int, now: datetime) -> int:
    """Sign the whole business out: every session of it ends at its next request, in every
    process, and a one-time link printed but not yet used no longer signs in. The number of
    live sessions that were ended (dead ones not yet swept go too, uncounted)."""
    async with db.write() as session:
        await load_business(session, business_id)
        live = len((await session.execute(_live(business_id, now))).all())
        await session.execute(delete(AdminSession).where(AdminSession.business_id == business_id))
        await session.execute(delete(SignInLink).where(SignInLink.business_id == business_id))
    return live


async def sweep(db: Database, now: datetime) -> int:
    """Delete expired sessions and spent or expired links; the number of rows removed."""
    async with db.write() as session:
        sessions = await session.execute(
            delete(AdminSession).where(
                (AdminSession.expires_at <= now) | (AdminSession.last_seen_at <= now - IDLE)
            )
        )
        links = await session.execute(
            delete(SignInLink).where(
                (SignInLink.expires_at <= now) | SignInLink.used_at.is_not(None)
            )
        )
    return int(getattr(sessions, "rowcount", 0) or 0) + int(getattr(links, "rowcount", 0) or 0)
