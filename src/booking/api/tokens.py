"""Admin API tokens of the business: list (never the secret), issue (secret shown once), revoke.
Owner tokens only: a staff token that leaks must not be able to mint or revoke tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.status_codes import HTTP_201_CREATED
from pydantic import BaseModel, Field

from booking.api.auth import current_caller, require_owner
from booking.api.schemas import Body
from booking.api.state import business_id, database
from booking.models.token import TokenRole
from booking.services import tokens


class TokenIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    role: TokenRole = Field(
        default=TokenRole.STAFF,
        description="staff (the default) works the front desk; owner also manages tokens, "
        "webhooks and the business's settings",
    )


class CreatorOut(BaseModel):
    id: int
    name: str


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    role: TokenRole
    created_at: datetime
    created_by: CreatorOut | None = Field(
        description="The token that issued this one; null when made at the command line"
    )
    revoked_at: datetime | None

    @classmethod
    def of(cls, info: tokens.TokenInfo) -> TokenOut:
        creator = info.created_by
        return cls(
            id=info.id,
            name=info.name,
            prefix=info.prefix,
            role=info.role,
            created_at=info.created_at,
            created_by=None if creator is None else CreatorOut(id=creator.id, name=creator.name),
            revoked_at=info.revoked_at,
        )


class IssuedTokenOut(TokenOut):
    secret: str = Field(description="The bearer token; shown this once and never again.")


class TokenController(Controller):
    path = "/tokens"
    tags = ["tokens"]
    guards = [require_owner]

    @get("/", summary="List the business's tokens, revoked ones included (never the secret)")
    async def list_tokens(self, request: Request[Any, Any, Any]) -> list[TokenOut]:
        found = await tokens.list_tokens(database(request), business_id(request))
        return [TokenOut.of(t) for t in found]

    @post("/", status_code=HTTP_201_CREATED, summary="Issue a token; its secret is shown once")
    async def create(self, request: Request[Any, Any, Any], data: TokenIn) -> IssuedTokenOut:
        db, owner = database(request), business_id(request)
        issued = await tokens.create_token(
            db, owner, data.name, data.role, created_by=current_caller(request).token_id
        )
        # create_token returns the secret alone; the stored row gives prefix and created_at.
        stored = {t.id: t for t in await tokens.list_tokens(db, owner)}[issued.id]
        return IssuedTokenOut(**TokenOut.of(stored).model_dump(), secret=issued.secret)

    @delete(
        "/{token_id:int}",
        summary="Revoke a token; it is refused at once (the last owner token cannot be revoked)",
    )
    async def revoke(self, request: Request[Any, Any, Any], token_id: int) -> None:
        await tokens.revoke_token(database(request), business_id(request), token_id)
