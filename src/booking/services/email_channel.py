"""The email channel: a delivery is composed into a message and handed to the mail server named
by SMTP_URL, from MAIL_FROM (aiosmtplib, imported on first send)."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime

from booking.config import Settings, SettingsError
from booking.services.delivery import Due, Outcome
from booking.services.email_messages import REMINDER, compose
from booking.smtp import SmtpTarget, parse_smtp_url


def email_channel(settings: Settings) -> EmailChannel | None:
    """The channel SMTP_URL and MAIL_FROM describe; None when neither is set. One without the
    other is a mistake worth refusing to start for."""
    url = settings.smtp_url.get_secret_value() if settings.smtp_url else None
    if url is None and settings.mail_from is None:
        return None
    if url is None or settings.mail_from is None:
        missing = "SMTP_URL" if url is None else "MAIL_FROM"
        raise SettingsError(f"invalid configuration: {missing} is needed to send email")
    return EmailChannel(parse_smtp_url(url), settings.mail_from)


class EmailChannel:
    def __init__(self, target: SmtpTarget, sender: str) -> None:
        self.target, self.sender = target, sender

    def host(self, due: Due) -> str:
        return f"smtp://{self.target.host}:{self.target.port}"

    async def send(self, due: Due, deadline_seconds: float, attempted_at: datetime) -> Outcome:
        import aiosmtplib

        payload = json.loads(due.body)
        starts_at = datetime.fromisoformat(payload["data"]["starts_at"])
        if due.event == REMINDER and starts_at <= attempted_at:
            return Outcome(None, "the appointment had begun: reminder not sent", 0.0, final=True)
        started = time.perf_counter()
        try:
            async with asyncio.timeout(deadline_seconds):
                await aiosmtplib.send(
                    compose(payload, self.sender, attempted_at),
                    hostname=self.target.host,
                    port=self.target.port,
                    username=self.target.username,
                    password=self.target.password,
                    use_tls=self.target.implicit_tls,
                    start_tls=self.target.starttls,
                    timeout=deadline_seconds,
                )
        except TimeoutError:
            return self._failed(None, f"no answer within {deadline_seconds:g} s", started)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            code = exc.recipients[0].code if exc.recipients else None
            # Never retried, and without the address: attempts are kept and shown.
            return self._failed(code, "the mail server refused the address", started, final=True)
        except aiosmtplib.SMTPResponseException as exc:
            return self._failed(exc.code, f"mail server answered {exc.code}", started)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return self._failed(None, f"{type(exc).__name__}: {exc}"[:500], started)
        return Outcome(250, None, (time.perf_counter() - started) * 1000)

    @staticmethod
    def _failed(code: int | None, error: str, started: float, *, final: bool = False) -> Outcome:
        return Outcome(code, error, (time.perf_counter() - started) * 1000, final=final)
