"""A local LiveKit server API: the SIP service's Twirp methods the doctor calls.

Twirp as LiveKit serves it: `POST /twirp/livekit.SIP/<Method>` with a protobuf body and an
`Authorization: Bearer <JWT>` signed (HS256) with the API secret of the key named in its `iss`.
A token that does not verify gets 401 with Twirp's JSON error, as LiveKit answers a wrong
secret; a token without the SIP admin grant gets 403. Trunks and dispatch rules are scripted.
"""

from __future__ import annotations

import json
from typing import Any

import jwt
from aiohttp import web
from livekit import api

__all__ = ["LiveKitApiStandIn", "dispatch_rule", "inbound_trunk"]


def inbound_trunk(*numbers: str, trunk_id: str = "ST_1", name: str = "main") -> Any:
    """An inbound trunk; with no numbers it accepts calls to any number."""
    return api.SIPInboundTrunkInfo(sip_trunk_id=trunk_id, name=name, numbers=list(numbers))


def dispatch_rule(*agent_names: str, rule_id: str = "SDR_1", name: str = "callers") -> Any:
    """A rule putting each caller in their own room and dispatching the named agents."""
    return api.SIPDispatchRuleInfo(
        sip_dispatch_rule_id=rule_id,
        name=name,
        rule=api.SIPDispatchRule(
            dispatch_rule_individual=api.SIPDispatchRuleIndividual(room_prefix="call-")
        ),
        room_config=api.RoomConfiguration(
            agents=[api.RoomAgentDispatch(agent_name=agent) for agent in agent_names]
        ),
    )


class LiveKitApiStandIn:
    """Start with `await server.start()`; `server.url` goes into LIVEKIT_URL."""

    def __init__(self, api_key: str = "APIdoctor", api_secret: str = "secret-" + "x" * 32) -> None:
        self.keys = {api_key: api_secret}
        self.trunks: list[Any] = []
        self.rules: list[Any] = []
        self.requests: list[str] = []  # the methods called, in order
        self.url = ""  # ws://127.0.0.1:PORT once started, as LIVEKIT_URL is written
        self._runner: web.AppRunner | None = None
        app = web.Application()
        app.router.add_post("/twirp/livekit.SIP/{method}", self._handle)
        self._app = app

    async def start(self) -> LiveKitApiStandIn:
        self._runner = web.AppRunner(self._app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.url = f"ws://{host}:{port}"  # the client turns ws into http, as for a real server
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        self.requests.append(method)
        claims = self._verify(request.headers.get("Authorization", ""))
        if claims is None:
            return _twirp_error(401, "unauthenticated", "invalid token")
        if not claims.sip.admin:
            return _twirp_error(403, "permission_denied", "requires SIP admin permission")
        body = await request.read()
        if method == "ListSIPInboundTrunk":
            api.ListSIPInboundTrunkRequest.FromString(body)
            answer: Any = api.ListSIPInboundTrunkResponse(items=self.trunks)
        elif method == "ListSIPDispatchRule":
            api.ListSIPDispatchRuleRequest.FromString(body)
            answer = api.ListSIPDispatchRuleResponse(items=self.rules)
        else:
            return _twirp_error(404, "bad_route", f"no handler for {method}")
        return web.Response(body=answer.SerializeToString(), content_type="application/protobuf")

    def _verify(self, header: str) -> Any:
        """The token's claims when it verifies with the secret of the key that signed it."""
        token = header.removeprefix("Bearer ").strip()
        try:
            key = str(jwt.decode(token, options={"verify_signature": False}).get("iss", ""))
            secret = self.keys.get(key)
            return None if secret is None else api.TokenVerifier(key, secret).verify(token)
        except jwt.PyJWTError:
            return None


def _twirp_error(status: int, code: str, message: str) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps({"code": code, "msg": message}),
        content_type="application/json",
    )
