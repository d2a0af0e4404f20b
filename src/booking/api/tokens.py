"""Admin API tokens of the business: list (never the secret), issue (secret shown once), revoke."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.status_codes import HTTP_201_CREATED
from pydantic import BaseModel, Field

from booking.api.schemas import Body
from booking.api.state import business_id, database
from booking.services import tokens


class TokenIn(Body):
    name: Annotated[str, Field(min_length=1, max_length=200)]


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, info: tokens.TokenInfo) -> TokenOut:
        return cls(
            id=info.id,
            name=info.name,
            prefix=info.prefix,
            created_at=info.created_at,
            revoked_at=info.revoked_at,
        )


class IssuedTokenOut(TokenOut):
    secret: str = Field(description="The bearer token; shown this once and never again.")


class TokenController(Controller):
    path = "/tokens"
    tags = ["tokens"]

    @get("/", summary="List the business's tokens, revoked ones included (never the secret)")
    async def list_tokens(self, request: Request[Any, Any, Any]) -> list[TokenOut]:
        found = await tokens.list_tokens(database(request), business_id(request))
        return [TokenOut.of(t) for t in found]

    @post("/", status_code=HTTP_201_CREATED, summary="Issue a token; its secret is shown once")
    async def create(self, request: Request[Any, Any, Any], data: TokenIn) -> IssuedTokenOut:
        db, owner = database(request), business_id(request)
        issued = await tokens.create_token(db, owner, data.name)
        # create_token returns the secret alone; the stored row gives prefix and created_at.
        stored = {t.id: t for t in await tokens.list_tokens(db, owner)}[issued.id]
        return IssuedTokenOut(**TokenOut.of(stored).model_dump(), secret=issued.secret)

    @delete("/{token_id:int}", summary="Revoke a token; it is refused at once")
    async def revoke(self, request: Request[Any, Any, Any], token_id: int) -> None:
        await tokens.revoke_token(database(request), business_id(request), token_id)
