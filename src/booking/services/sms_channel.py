"""The text channel: a delivery is handed to the installation's SMS provider (SMS_PROVIDER:
Twilio or Telnyx), outside the business's quiet hours; the number is logged masked."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from booking.config import Settings
from booking.logging import get_logger, mask_phone
from booking.services.delivery import Due, Outcome
from booking.services.sms_messages import REMINDER, quiet_until
from booking.sms import Provider, Sent
from booking.sms.telnyx import Telnyx
from booking.sms.twilio import Twilio

if TYPE_CHECKING:
    import httpx

log = get_logger(__name__)


def sms_provider(settings: Settings) -> Provider | None:
    """The provider SMS_PROVIDER names, with its credentials (checked whole at load)."""
    if settings.sms_provider == "twilio":
        assert settings.twilio_account_sid and settings.twilio_auth_token
        public = (settings.sms_public_url or "").rstrip("/")
        return Twilio(
            settings.twilio_account_sid,
            settings.twilio_auth_token.get_secret_value(),
            base_url=settings.twilio_base_url,
            status_callback=f"{public}/sms/twilio" if public else None,
        )
    if settings.sms_provider == "telnyx":
        assert settings.telnyx_api_key
        return Telnyx(settings.telnyx_api_key.get_secret_value(), base_url=settings.telnyx_base_url)
    return None


class SmsChannel:
    def __init__(self, provider: Provider, client: httpx.AsyncClient) -> None:
        self.provider, self._client = provider, client

    def host(self, due: Due) -> str:
        return self.provider.base_url

    async def send(self, due: Due, deadline_seconds: float, attempted_at: datetime) -> Outcome:
        import httpx

        payload = json.loads(due.body)
        starts_at = payload.get("starts_at")
        begun = starts_at is not None and datetime.fromisoformat(starts_at) <= attempted_at
        if due.event == REMINDER and begun:
            return Outcome(None, "the appointment had begun: reminder not sent", 0.0, final=True)
        quiet = payload.get("quiet")
        if quiet:  # replies to a text are answered at once; the rest waits for the morning
            held = quiet_until(attempted_at, ZoneInfo(payload["timezone"]), *quiet)
            if held is not None:
                if (
                    due.event == REMINDER
                    and starts_at
                    and held >= datetime.fromisoformat(starts_at)
                ):
                    error = "quiet hours until the appointment: reminder not sent"
                    return Outcome(None, error, 0.0, final=True)
                return Outcome(None, None, 0.0, not_before=held)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(deadline_seconds):
                sent = await self.provider.send(
                    self._client, payload["from"], payload["to"], payload["text"], deadline_seconds
                )
        except TimeoutError:
            sent = Sent(None, error=f"no answer within {deadline_seconds:g} s")
        except httpx.HTTPError as exc:
            sent = Sent(None, error=f"{type(exc).__name__}: {exc}"[:500])
        sent_error, code, ref = sent.error, sent.status_code, sent.ref
        took = (time.perf_counter() - started) * 1000
        log.info(
            "text sent" if sent_error is None else "text not sent",
            delivery=due.id,
            to=mask_phone(payload["to"]),
            provider=self.provider.name,
            error=sent_error,
        )
        # A number the provider refuses outright (4xx but rate limits) is never mended by retrying.
        final = code is not None and 400 <= code < 500 and code not in (408, 429)
        return Outcome(code, sent_error, took, final=final, ref=ref)
