"""Webhook subscriptions and their deliveries, so a business can wire its own SMS or chat."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.status_codes import HTTP_201_CREATED
from pydantic import BaseModel, Field

from booking.api.auth import require_owner
from booking.api.schemas import Body
from booking.api.state import business_id, database, outbound_allow_private
from booking.services import webhooks
from booking.services.webhooks import EVENTS, DeliveryInfo, SubscriptionInfo


class WebhookIn(Body):
    url: Annotated[str, Field(min_length=1, max_length=2000)]
    events: Annotated[list[str], Field(min_length=1, max_length=len(EVENTS))]


class WebhookOut(BaseModel):
    id: int
    url: str
    events: list[str]
    active: bool
    created_at: datetime
    secret: str | None = Field(
        default=None, description="Shown once, at creation: verify X-Booking-Signature with it"
    )

    @classmethod
    def of(cls, info: SubscriptionInfo) -> WebhookOut:
        return cls(
            id=info.id,
            url=info.url,
            events=info.events,
            active=info.active,
            created_at=info.created_at,
            secret=info.secret,
        )


class AttemptOut(BaseModel):
    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


class DeliveryOut(BaseModel):
    id: int
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime
    created_at: datetime
    delivered_at: datetime | None
    history: list[AttemptOut]

    @classmethod
    def of(cls, info: DeliveryInfo) -> DeliveryOut:
        return cls(
            id=info.id,
            event=info.event,
            status=info.status.value,
            attempts=info.attempts,
            next_attempt_at=info.next_attempt_at,
            created_at=info.created_at,
            delivered_at=info.delivered_at,
            history=[
                AttemptOut(
                    attempted_at=a.attempted_at,
                    status_code=a.status_code,
                    error=a.error,
                    duration_ms=a.duration_ms,
                )
                for a in info.history
            ],
        )


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]
    guards = [require_owner]  # where the business's data is sent: owner tokens only

    @get("/", summary="List webhook subscriptions (secrets are never shown again)")
    async def list_webhooks(self, request: Request[Any, Any, Any]) -> list[WebhookOut]:
        found = await webhooks.list_subscriptions(database(request), business_id(request))
        return [WebhookOut.of(s) for s in found]

    @post("/", status_code=HTTP_201_CREATED, summary="Subscribe a URL to events")
    async def create(self, request: Request[Any, Any, Any], data: WebhookIn) -> WebhookOut:
        created = await webhooks.create_subscription(
            database(request),
            business_id(request),
            data.url,
            data.events,
            allow_private=outbound_allow_private(request),
        )
        return WebhookOut.of(created)

    @delete("/{webhook_id:int}", summary="Unsubscribe")
    async def remove(self, request: Request[Any, Any, Any], webhook_id: int) -> None:
        await webhooks.delete_subscription(database(request), business_id(request), webhook_id)

    @get("/{webhook_id:int}/deliveries", summary="Recent deliveries with every attempt")
    async def deliveries(
        self, request: Request[Any, Any, Any], webhook_id: int
    ) -> list[DeliveryOut]:
        found = await webhooks.list_deliveries(database(request), business_id(request), webhook_id)
        return [DeliveryOut.of(d) for d in found]
