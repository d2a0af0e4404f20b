"""The business's block list: numbers the receptionist never answers (owner-only changes)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from pydantic import BaseModel

from booking.api.admin_schemas import Phone
from booking.api.auth import require_owner
from booking.api.schemas import Body, Label
from booking.api.state import business_id, database
from booking.services import block_list
from booking.services.block_list import BlockedInfo


class BlockedIn(Body):
    number: Phone
    reason: Label = ""


class BlockedOut(BaseModel):
    id: int
    number: str  # E.164
    reason: str
    created_at: datetime

    @classmethod
    def of(cls, info: BlockedInfo) -> BlockedOut:
        return cls(id=info.id, number=info.number, reason=info.reason, created_at=info.created_at)


class BlockListController(Controller):
    path = "/business/blocked-numbers"
    tags = ["business"]

    @get("/", summary="Numbers whose calls are logged and dropped, never answered")
    async def listing(self, request: Request[Any, Any, Any]) -> list[BlockedOut]:
        found = await block_list.list_blocked(database(request), business_id(request))
        return [BlockedOut.of(row) for row in found]

    @post("/", guards=[require_owner], status_code=HTTP_201_CREATED, summary="Block a number")
    async def add(self, request: Request[Any, Any, Any], data: BlockedIn) -> BlockedOut:
        """Any common format is read in the business's region and stored as E.164; a number
        already blocked is 409."""
        added = await block_list.block(
            database(request), business_id(request), data.number, data.reason
        )
        return BlockedOut.of(added)

    @delete(
        "/{blocked_id:int}",
        guards=[require_owner],
        status_code=HTTP_204_NO_CONTENT,
        summary="Unblock a number",
    )
    async def remove(self, request: Request[Any, Any, Any], blocked_id: int) -> None:
        await block_list.unblock(database(request), business_id(request), blocked_id)
