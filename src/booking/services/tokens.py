"""Admin API tokens: shown once, stored as a SHA-256 hash, scoped to one business, revocable."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from booking.db import Database
from booking.errors import InvalidInput, NotFound
from booking.models import ApiToken
from booking.services.businesses import load_business

TOKEN_PREFIX = "bk_"


@dataclass(frozen=True)
class IssuedToken:
    id: int
    business_id: int
    name: str
    secret: str  # shown once, never stored


@dataclass(frozen=True)
class TokenInfo:
    id: int
    business_id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_token(db: Database, business_id: int, name: str) -> IssuedToken:
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
        )
        session.add(token)
        await session.flush()
        return IssuedToken(token.id, business_id, token.name, secret)


async def authenticate(db: Database, secret: str) -> int | None:
    """The business a live token belongs to, or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = hash_token(secret)
    async with db.read() as session:
        token = await session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or token.revoked_at is not None:
        return None
    if not hmac.compare_digest(token.token_hash, digest):
        return None
    return token.business_id


async def list_tokens(db: Database, business_id: int) -> list[TokenInfo]:
    async with db.read() as session:
        rows = await session.scalars(
            select(ApiToken).where(ApiToken.business_id == business_id).order_by(ApiToken.id)
        )
        return [
            TokenInfo(t.id, t.business_id, t.name, t.prefix, t.created_at, t.revoked_at)
            for t in rows
        ]


async def revoke_token(db: Database, business_id: int, token_id: int) -> None:
    async with db.write() as session:
        token = await session.get(ApiToken, token_id)
        if token is None or token.business_id != business_id:
            raise NotFound("token", token_id)
        if token.revoked_at is None:
            token.revoked_at = datetime.now(UTC)
