"""Sessions of the owner's web page, for the owner: list the live ones (never a secret) and end
them all, those opened with a one-time link included (they belong to no token to revoke)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, delete, get
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, Field

from booking.api.auth import require_owner
from booking.api.state import business_id, database, now
from booking.models.token import TokenRole
from booking.services import admin_sessions


class OpenedWithOut(BaseModel):
    kind: str = Field(description="token, or link (a one-time link from `booking admin-link`)")
    token_id: int | None = None
    token_name: str | None = None


class AdminSessionOut(BaseModel):
    id: int
    role: TokenRole
    created_at: datetime
    last_seen_at: datetime = Field(description="Moved on at most every few minutes of use")
    expires_at: datetime = Field(description="When it ends unless used again (idle) or at all")
    opened_with: OpenedWithOut

    @classmethod
    def of(cls, info: admin_sessions.SessionInfo) -> AdminSessionOut:
        opened = (
            OpenedWithOut(kind="link")
            if info.token_id is None
            else OpenedWithOut(kind="token", token_id=info.token_id, token_name=info.token_name)
        )
        return cls(
            id=info.id,
            role=info.role,
            created_at=info.created_at,
            last_seen_at=info.last_seen_at,
            expires_at=info.expires_at,
            opened_with=opened,
        )


class EndedOut(BaseModel):
    ended: int = Field(description="How many sessions were ended")


class AdminSessionController(Controller):
    path = "/admin-sessions"
    tags = ["tokens"]
    guards = [require_owner]

    @get("/", summary="List the web page's live sessions of the business (never a secret)")
    async def list_sessions(self, request: Request[Any, Any, Any]) -> list[AdminSessionOut]:
        found = await admin_sessions.list_live(
            database(request), business_id(request), now(request)
        )
        return [AdminSessionOut.of(s) for s in found]

    @delete(
        "/",
        status_code=HTTP_200_OK,
        summary="Sign the web page out everywhere: every session ends, one-time-link ones too, "
        "and unused one-time links stop working",
    )
    async def end_all(self, request: Request[Any, Any, Any]) -> EndedOut:
        ended = await admin_sessions.end_all(database(request), business_id(request), now(request))
        return EndedOut(ended=ended)
