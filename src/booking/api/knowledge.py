"""What the receptionist tells callers about the business: its profile and its FAQ."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, delete, get, post, put
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from booking.api.admin_schemas import FaqIn, FaqOut, ProfileIn, ProfileOut
from booking.api.auth import require_owner
from booking.api.state import business_id, database
from booking.services import knowledge


class KnowledgeController(Controller):
    path = "/business"
    tags = ["business"]

    @get("/profile", summary="Address, description and directions the receptionist may say")
    async def profile(self, request: Request[Any, Any, Any]) -> ProfileOut:
        found = await knowledge.get_profile(database(request), business_id(request))
        return ProfileOut(**vars(found))

    @put("/profile", guards=[require_owner], summary="Change the profile (fields given only)")
    async def change_profile(self, request: Request[Any, Any, Any], data: ProfileIn) -> ProfileOut:
        changed = await knowledge.update_profile(
            database(request), business_id(request), **data.model_dump(exclude_none=True)
        )
        return ProfileOut(**vars(changed))

    @get("/faq", summary="Questions callers ask, with the business's own answers")
    async def faq(self, request: Request[Any, Any, Any]) -> list[FaqOut]:
        found = await knowledge.list_faq(database(request), business_id(request))
        return [FaqOut(**vars(entry)) for entry in found]

    @post("/faq", guards=[require_owner], status_code=HTTP_201_CREATED, summary="Add an answer")
    async def add(self, request: Request[Any, Any, Any], data: FaqIn) -> FaqOut:
        entry = await knowledge.add_faq(
            database(request), business_id(request), data.question, data.answer
        )
        return FaqOut(**vars(entry))

    @put("/faq/{faq_id:int}", guards=[require_owner], summary="Change an answer")
    async def change(self, request: Request[Any, Any, Any], faq_id: int, data: FaqIn) -> FaqOut:
        entry = await knowledge.update_faq(
            database(request), business_id(request), faq_id, data.question, data.answer
        )
        return FaqOut(**vars(entry))

    @delete(
        "/faq/{faq_id:int}",
        guards=[require_owner],
        status_code=HTTP_204_NO_CONTENT,
        summary="Remove an answer",
    )
    async def remove(self, request: Request[Any, Any, Any], faq_id: int) -> None:
        await knowledge.delete_faq(database(request), business_id(request), faq_id)
