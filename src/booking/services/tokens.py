"""Admin API tokens: shown once, stored as a SHA-256 hash, scoped to one business, revocable.

A token is an owner or staff (`TokenRole`). A business always keeps one live owner token:
revoking the last is refused, and `booking create-token --role owner` is the way back in.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from booking.db import Database
from booking.errors import Conflict, InvalidInput, NotFound
from booking.models import ApiToken, Business
from booking.models.token import TokenRole
from booking.services.businesses import load_business

TOKEN_PREFIX = "bk_"


class LastOwnerToken(Conflict):
    """Revoking this token would leave the business with no owner token."""

    code = "last_owner_token"

    def __init__(self) -> None:
        super().__init__(
            "this is the business's last owner token and cannot be revoked; issue another "
            "owner token first (or run `booking create-token --role owner`)"
        )


@dataclass(frozen=True)
class IssuedToken:
    id: int
    business_id: int
    name: str
    secret: str  # shown once, never stored
    role: TokenRole


@dataclass(frozen=True)
class Creator:
    id: int
    name: str


@dataclass(frozen=True)
class TokenInfo:
    id: int
    business_id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None
    role: TokenRole
    created_by: Creator | None


@dataclass(frozen=True)
class Caller:
    """The live token a request came with: its business and what it may do."""

    token_id: int
    business_id: int
    name: str
    role: TokenRole


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(
    db: Database,
    business_id: int,
    name: str,
    role: TokenRole = TokenRole.OWNER,
    created_by: int | None = None,
) -> IssuedToken:
    """Issue a token. Owner by default: the CLI, `create-business` and the demo make the
    business's first (or recovery) token; the API passes the role it was asked for."""
    if not name.strip():
        raise InvalidInput("name", "must not be empty")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    async with db.write() as session:
        await load_business(session, business_id)
        token = ApiToken(
            business_id=business_id,
            name=name.strip(),
            token_hash=hash_token(secret),
            prefix=secret[:8],
            role=TokenRole(role),
            created_by_id=created_by,
        )
        session.add(token)
        await session.flush()
        return IssuedToken(token.id, business_id, token.name, secret, token.role)


async def identify(db: Database, secret: str) -> Caller | None:
    """The live token behind a secret, or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hash_token(secret)
    async with db.read() as session:
        token = await session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.token_hash, digest):
        return None
    return Caller(token.id, token.business_id, token.name, token.role)


async def authenticate(db: Database, secret: str) -> int | None:
    """The business a live token belongs to, or None."""
    caller = await identify(db, secret)
    return None if caller is None else caller.business_id


async def list_tokens(db: Database, business_id: int) -> list[TokenInfo]:
    async with db.read() as session:
        rows = list(
            await session.scalars(
                select(ApiToken).where(ApiToken.business_id == business_id).order_by(ApiToken.id)
            )
        )
    names = {t.id: t.name for t in rows}  # a creator is always a token of the same business
    return [_info(t, names) for t in rows]


def _info(token: ApiToken, names: dict[int, str]) -> TokenInfo:
    creator = token.created_by_id
    return TokenInfo(
        token.id,
        token.business_id,
        token.name,
        token.prefix,
        token.created_at,
        token.revoked_at,
        token.role,
        None if creator is None else Creator(creator, names[creator]),
    )


async def revoke_token(db: Database, business_id: int, token_id: int) -> None:
    async with db.write() as session:
        # Revocations of one business queue on its row, so two owners revoking each other at
        # once cannot both pass the last-owner check (SQLite's write lock does the same).
        await session.scalar(
            select(Business.id).where(Business.id == business_id).with_for_update()
        )
        token = await session.get(ApiToken, token_id)
        if token is None or token.business_id != business_id:
            raise NotFound("token", token_id)
        if token.revoked_at is not None:
            return
        if token.role == TokenRole.OWNER and await _live_owners(session, business_id) <= 1:
            raise LastOwnerToken()
        token.revoked_at = datetime.now(UTC)


async def _live_owners(session: AsyncSession, business_id: int) -> int:
    count = await session.scalar(
        select(func.count())
        .select_from(ApiToken)
        .where(
            ApiToken.business_id == business_id,
            ApiToken.role == TokenRole.OWNER,
            ApiToken.revoked_at.is_(None),
        )
    )
    return int(count or 0)
