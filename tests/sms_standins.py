"""Local stand-ins for the SMS providers' REST APIs (aiohttp on 127.0.0.1): Twilio's Messages
API and Telnyx's v2 messages API, each checking its credentials and recording every text it
accepts. `answer` makes them fail (a status, or a delay past the sender's deadline)."""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from booking.sms import Provider
from booking.sms.telnyx import Telnyx
from booking.sms.twilio import Twilio

TWILIO_SID = "AC0123456789abcdef0123456789abcdef"
TWILIO_TOKEN = "twilio-test-auth-token"
TELNYX_KEY = "KEY0123-telnyx-test"


@dataclass
class Received:
    """One text as the provider got it."""

    sender: str
    to: str
    text: str


@dataclass
class StandIn:
    kind: str  # twilio | telnyx
    texts: list[Received] = field(default_factory=list)
    requests: int = 0
    status: int = 0  # answer every request with this status instead (e.g. 500)
    delay: float = 0.0  # and/or only after this long
    url: str = ""
    _runner: web.AppRunner | None = None

    def provider(self) -> Provider:
        if self.kind == "twilio":
            return Twilio(TWILIO_SID, TWILIO_TOKEN, base_url=self.url)
        return Telnyx(TELNYX_KEY, base_url=self.url)

    async def start(self) -> StandIn:
        app = web.Application()
        app.router.add_post(f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json", self._twilio)
        app.router.add_post("/v2/messages", self._telnyx)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _failing(self) -> web.Response | None:
        self.requests += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.status:
            return web.json_response({"message": "down"}, status=self.status)
        return None

    async def _twilio(self, request: web.Request) -> web.Response:
        expected = base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return web.json_response({"code": 20003}, status=401)
        failed = await self._failing()
        if failed is not None:
            return failed
        form = await request.post()
        self.texts.append(Received(str(form["From"]), str(form["To"]), str(form["Body"])))
        sid = f"SM{len(self.texts):032d}"
        return web.json_response({"sid": sid, "status": "queued"}, status=201)

    async def _telnyx(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TELNYX_KEY}":
            return web.json_response({"errors": [{"code": "10009"}]}, status=401)
        failed = await self._failing()
        if failed is not None:
            return failed
        body: dict[str, Any] = await request.json()
        self.texts.append(Received(body["from"], body["to"], body["text"]))
        ref = f"40317{len(self.texts):05d}-telnyx"
        return web.json_response({"data": {"id": ref, "to": [{"status": "queued"}]}})
