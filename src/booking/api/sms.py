"""Text messages over HTTP: what the providers post back (`/sms/twilio`, `/sms/telnyx`:
customers' replies and delivery reports, refused with 403 unless the provider's signature
checks out), and the texts each customer was sent (`GET /api/customers/{id}/texts`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel

from booking.api.state import business_id, database, now
from booking.config import Settings
from booking.logging import get_logger
from booking.services import sms_inbound
from booking.services.sms_texts import TextInfo, texts_to
from booking.sms import telnyx, twilio

log = get_logger(__name__)


@dataclass(frozen=True)
class SmsKeys:
    """What checks the providers' signatures: the installation's provider and its secret."""

    provider: str
    twilio_auth_token: str | None = None
    telnyx_public_key: str | None = None
    public_url: str | None = None  # the https://host the provider calls, behind a proxy


def _keys(request: Request[Any, Any, Any], provider: str) -> SmsKeys:
    keys: SmsKeys | None = getattr(request.app.state, "sms", None)
    if keys is None or keys.provider != provider:
        raise NotFoundException(f"texts are not received from {provider} here")
    return keys


def _refused(provider: str) -> PermissionDeniedException:
    log.warning("text webhook refused: bad or missing signature", provider=provider)
    return PermissionDeniedException("the provider's signature is missing or does not match")


@post("/sms/twilio", status_code=HTTP_200_OK, include_in_schema=False)
async def twilio_webhook(request: Request[Any, Any, Any]) -> Response[str]:
    """A reply or a delivery report from Twilio (form-encoded, X-Twilio-Signature)."""
    keys = _keys(request, "twilio")
    form = await request.form()
    params = [(str(k), str(v)) for k, v in form.multi_items()]
    url = (
        f"{keys.public_url.rstrip('/')}{request.url.path}" if keys.public_url else str(request.url)
    )
    assert keys.twilio_auth_token is not None
    given = request.headers.get(twilio.SIGNATURE_HEADER)
    if not twilio.valid_signature(keys.twilio_auth_token, url, params, given):
        raise _refused("twilio")
    fields = dict(params)
    db, at = database(request), now(request)
    if "Body" not in fields and fields.get("MessageStatus") and fields.get("MessageSid"):
        await sms_inbound.record_status(db, fields["MessageSid"], fields["MessageStatus"], at)
    elif fields.get("From") and fields.get("To"):
        await sms_inbound.handle_text(db, fields["To"], fields["From"], fields.get("Body", ""), at)
    # The reply goes through the outbox like every text: the answer here says nothing.
    return Response("<Response/>", media_type="text/xml")


@post("/sms/telnyx", status_code=HTTP_200_OK, include_in_schema=False)
async def telnyx_webhook(request: Request[Any, Any, Any]) -> dict[str, str]:
    """A reply or a delivery report from Telnyx (JSON, ed25519 signature with a timestamp)."""
    keys = _keys(request, "telnyx")
    body = await request.body()
    assert keys.telnyx_public_key is not None
    if not telnyx.valid_signature(
        keys.telnyx_public_key,
        body,
        request.headers.get(telnyx.SIGNATURE_HEADER),
        request.headers.get(telnyx.TIMESTAMP_HEADER),
        now(request),
    ):
        raise _refused("telnyx")
    try:
        data = json.loads(body)["data"]
        kind, payload = str(data["event_type"]), data["payload"]
    except (ValueError, KeyError, TypeError):
        return {"status": "ignored"}
    db, at = database(request), now(request)
    if kind == "message.received":
        to = (payload.get("to") or [{}])[0].get("phone_number", "")
        sender = (payload.get("from") or {}).get("phone_number", "")
        if to and sender:
            await sms_inbound.handle_text(db, to, sender, str(payload.get("text") or ""), at)
    elif kind in ("message.sent", "message.finalized") and payload.get("id"):
        status = (payload.get("to") or [{}])[0].get("status", "")
        if status:
            await sms_inbound.record_status(db, str(payload["id"]), str(status), at)
    return {"status": "ok"}


class TextOut(BaseModel):
    id: int
    event: str
    to: str
    text: str
    status: str  # pending, delivered (handed to the provider) or failed
    provider_status: str | None  # the provider's last report: accepted, delivered, failed ...
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None

    @classmethod
    def of(cls, info: TextInfo) -> TextOut:
        return cls(**info.__dict__)


class CustomerTextsController(Controller):
    path = "/customers/{customer_id:int}/texts"
    tags = ["customers"]

    @get("/", summary="The texts queued for and sent to a customer, with delivery status")
    async def list_texts(self, request: Request[Any, Any, Any], customer_id: int) -> list[TextOut]:
        texts = await texts_to(database(request), business_id(request), customer_id)
        return [TextOut.of(text) for text in texts]


def sms_keys(settings: Settings) -> SmsKeys | None:
    """What the webhook routes check signatures with; None (routes 404) without a provider."""
    if settings.sms_provider == "none":
        return None
    token = settings.twilio_auth_token
    return SmsKeys(
        settings.sms_provider,
        twilio_auth_token=token.get_secret_value() if token else None,
        telnyx_public_key=settings.telnyx_public_key,
        public_url=settings.sms_public_url,
    )
