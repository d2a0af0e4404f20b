"""Telnyx: texts through the v2 messages API (JSON, bearer API key); what Telnyx posts back is
signed with ed25519 over `timestamp|body` (headers telnyx-signature-ed25519 and
telnyx-timestamp), checked with the account's public key and a tolerance on the timestamp."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import TYPE_CHECKING

from booking.sms import Sent

if TYPE_CHECKING:
    import httpx

SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"
TOLERANCE_SECONDS = 300


class Telnyx:
    name = "telnyx"

    def __init__(self, api_key: str, *, base_url: str = "https://api.telnyx.com") -> None:
        self._key = api_key
        self.base_url = base_url.rstrip("/")

    async def send(
        self, client: httpx.AsyncClient, sender: str, to: str, text: str, deadline_seconds: float
    ) -> Sent:
        response = await client.post(
            f"{self.base_url}/v2/messages",
            json={"from": sender, "to": to, "text": text},
            headers={"Authorization": f"Bearer {self._key}"},
            timeout=deadline_seconds,
        )
        if not 200 <= response.status_code < 300:
            return Sent(response.status_code, error=f"Telnyx answered {response.status_code}")
        data = response.json().get("data") or {}
        return Sent(response.status_code, ref=str(data.get("id") or "") or None)


def valid_signature(
    public_key: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: datetime,
    tolerance_seconds: int = TOLERANCE_SECONDS,
) -> bool:
    """True when Telnyx signed `timestamp|body` with the key, within the tolerance of now."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    if not signature or not timestamp or not timestamp.isdigit():
        return False
    if abs(now.timestamp() - int(timestamp)) > tolerance_seconds:
        return False
    try:
        key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key))
        key.verify(base64.b64decode(signature), timestamp.encode() + b"|" + body)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
