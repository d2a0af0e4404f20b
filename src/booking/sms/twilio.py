"""Twilio: texts through the Messages API (form-encoded, basic auth with the account SID and
auth token); what Twilio posts back is signed with X-Twilio-Signature, an HMAC-SHA1 under the
auth token over the URL it called followed by each parameter's name and value, sorted."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from typing import TYPE_CHECKING

from booking.sms import Sent

if TYPE_CHECKING:
    import httpx

SIGNATURE_HEADER = "X-Twilio-Signature"


class Twilio:
    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        base_url: str = "https://api.twilio.com",
        status_callback: str | None = None,
    ) -> None:
        self.account_sid, self._token = account_sid, auth_token
        self.base_url = base_url.rstrip("/")
        self._status_callback = status_callback

    async def send(
        self, client: httpx.AsyncClient, sender: str, to: str, text: str, deadline_seconds: float
    ) -> Sent:
        form = {"To": to, "From": sender, "Body": text}
        if self._status_callback:
            form["StatusCallback"] = self._status_callback
        response = await client.post(
            f"{self.base_url}/2010-04-01/Accounts/{self.account_sid}/Messages.json",
            data=form,
            auth=(self.account_sid, self._token),
            timeout=deadline_seconds,
        )
        if not 200 <= response.status_code < 300:
            return Sent(response.status_code, error=f"Twilio answered {response.status_code}")
        return Sent(response.status_code, ref=str(response.json().get("sid") or "") or None)


def signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    """The X-Twilio-Signature Twilio sends with a POST of `params` to `url`."""
    signed = url + "".join(name + value for name, value in sorted(params))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_signature(
    auth_token: str, url: str, params: Iterable[tuple[str, str]], given: str | None
) -> bool:
    if not given:
        return False
    return hmac.compare_digest(signature(auth_token, url, list(params)), given)
