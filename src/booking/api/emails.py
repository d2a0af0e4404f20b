"""The emails each customer was sent (`GET /api/customers/{id}/emails`): confirmations and
reminders with their delivery status and attempts, as `/texts` lists texts; never the body."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, get
from pydantic import BaseModel, Field

from booking.api.state import business_id, database
from booking.services.email_log import EmailInfo, emails_to


class EmailOut(BaseModel):
    id: int
    event: str = Field(description="appointment.booked, .moved, .cancelled or .reminder")
    appointment_id: int | None
    to: str
    subject: str
    status: str = Field(description="pending, delivered (the mail server took it) or failed")
    attempts: int
    last_error: str | None
    last_status_code: int | None = Field(
        description="The mail server's reply code to the last attempt (250: taken)"
    )
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, info: EmailInfo) -> EmailOut:
        return cls(**info.__dict__)


class CustomerEmailsController(Controller):
    path = "/customers/{customer_id:int}/emails"
    tags = ["customers"]

    @get("/", summary="The emails queued for and sent to a customer, with delivery status")
    async def list_emails(
        self, request: Request[Any, Any, Any], customer_id: int
    ) -> list[EmailOut]:
        found = await emails_to(database(request), business_id(request), customer_id)
        return [EmailOut.of(email) for email in found]
