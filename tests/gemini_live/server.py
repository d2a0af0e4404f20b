"""A local Gemini Live: a websocket server speaking BidiGenerateContent as google-genai does.

The real `google.realtime.RealtimeModel` connects to it through `http_options.base_url`. It is
scripted like the scripted text model (each turn the client completes, and each tool response,
plays the next step: a spoken reply or tool calls), records every frame the client sent, checks
the `setup` against Gemini's limits for function declarations, and can misbehave on purpose:
refuse a setup, go away, drop the socket, or stay silent.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import trustme
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from tests.agent.scripted import tool
from tests.gemini_live.declarations import camel, declaration_problems

__all__ = ["SILENT", "GeminiLiveStandIn", "tool"]

OUTPUT_RATE = 24_000  # Gemini Live speaks 16-bit mono PCM at 24 kHz
DEFAULT_REPLY = "Is there anything else?"
SILENT = "<silent>"  # a step in which the model says nothing at all

Step = str | dict[str, Any] | list[dict[str, Any]] | Callable[["Connection"], Any]


def pcm_silence(seconds: float, rate: int = OUTPUT_RATE) -> bytes:
    return b"\x00\x00" * int(rate * seconds)


@dataclass
class Connection:
    """One websocket from the client: its setup and every frame it sent afterwards."""

    number: int
    path: str
    headers: dict[str, str]
    setup: dict[str, Any]
    socket: ServerConnection
    frames: list[dict[str, Any]] = field(default_factory=list)
    arrived: list[float] = field(default_factory=list)  # perf_counter() of each frame
    sent: list[dict[str, Any]] = field(default_factory=list)  # what the stand-in sent
    closed_by_client: int | None = None

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [frame[kind] for frame in self.frames if kind in frame]


def camel_keys(value: Any) -> Any:
    """A client frame with every key in camelCase (its values are never schemas)."""
    if isinstance(value, dict):
        return {camel(key): camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [camel_keys(item) for item in value]
    return value


class TestAuthority:
    """A certificate authority for 127.0.0.1: google-genai always speaks TLS (wss) to a base
    URL given with an API key, so the stand-in serves TLS and clients trust this CA through
    `SSL_CERT_FILE`, the standard variable google-genai reads."""

    def __init__(self, folder: str) -> None:
        self._ca = trustme.CA()
        self._cert = self._ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = f"{folder}/gemini-live-ca.pem"
        self._ca.cert_pem.write_to_path(self.ca_file)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._cert.configure_cert(context)
        return context


class GeminiLiveStandIn:
    """Start with `await server.start()`; `server.base_url` goes into `http_options`, and
    `server.ca_file` into `SSL_CERT_FILE`."""

    def __init__(
        self,
        authority: TestAuthority,
        *,
        model: str = "gemini-3.8-live",
        reply_audio_seconds: float = 0.05,
        give_handles: bool = True,
    ) -> None:
        self.authority = authority
        self.model = model  # the model the client under test is configured with
        # When set, a setup for any other model is refused with 1008, as Gemini refuses a
        # model name it does not serve.
        self.known_models: set[str] | None = None
        self.refused_models: list[str] = []
        self.cancelled_ids: set[str] = set()
        self.script: list[Step] = []
        self.connections: list[Connection] = []
        self.refuse_setups = 0  # close the next N connections with 1011 before setupComplete
        self.refused = 0
        self.reply_audio_seconds = reply_audio_seconds
        self.give_handles = give_handles
        self.setup_problems: list[str] = []
        self.steps_played = 0
        self._server: Server | None = None
        self._ids = itertools.count(1)
        self._handles = itertools.count(1)
        self._pending_calls: dict[int, set[str]] = {}
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- life ------------------------------------------------------------------------------

    async def start(self) -> GeminiLiveStandIn:
        self._server = await serve(
            self._handle,
            "127.0.0.1",
            0,
            max_size=None,
            ssl=self.authority.server_context(),
        )
        return self

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = next(iter(self._server.sockets)).getsockname()[:2]
        return f"https://{host}:{port}"

    @property
    def ca_file(self) -> str:
        return self.authority.ca_file

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()

    # -- scripting -------------------------------------------------------------------------

    def add(self, *steps: Step) -> None:
        self.script.extend(steps)

    @property
    def current(self) -> Connection:
        return self.connections[-1]

    def frames(self, kind: str) -> list[dict[str, Any]]:
        """Every frame of one kind (`clientContent`, `toolResponse`, ...) over all connections."""
        return [f for c in self.connections for f in c.of(kind)]

    def sent(self, kind: str) -> list[dict[str, Any]]:
        """Every message of one kind (`toolCall`, `serverContent`, ...) the stand-in sent."""
        return [m[kind] for c in self.connections for m in c.sent if kind in m]

    def instructions_seen(self) -> str:
        """The system instruction of the latest setup, as the model received it."""
        if not self.connections:
            return ""
        parts = self.current.setup.get("systemInstruction", {}).get("parts", [])
        return "".join(part.get("text", "") for part in parts)

    def text_sent(self) -> str:
        """Everything the client said to the model in text: instructions and turns."""
        texts = [self.instructions_seen()]
        for content in self.frames("clientContent"):
            for turn in content.get("turns") or []:
                texts += [part.get("text", "") for part in turn.get("parts", [])]
        return "\n".join(texts)

    async def wait_for_request(self, within: float = 5.0) -> str:
        """Wait until the client first asks for a reply (a completed turn); what it sent."""
        await self.wait_for(
            lambda: any(f.get("turnComplete") for f in self.frames("clientContent")), within
        )
        return self.text_sent()

    def tool_responses(self) -> list[dict[str, Any]]:
        """Each function response the client sent, in order."""
        return [r for f in self.frames("toolResponse") for r in f.get("functionResponses", [])]

    def audio_received(self) -> bytes:
        """The caller's audio as the client streamed it (16 kHz PCM)."""
        chunks = []
        for frame in self.frames("realtimeInput"):
            for blob in [frame.get("audio")] + (frame.get("mediaChunks") or []):
                if blob:
                    chunks.append(base64.urlsafe_b64decode(blob["data"]))
        return b"".join(chunks)

    async def wait_for(self, condition: Callable[[], Any], within: float = 5.0) -> Any:
        """Wait until `condition()` is truthy (re-checked at every frame) and return it."""
        async with asyncio.timeout(within), self._changed:
            while not (value := condition()):
                await self._changed.wait()
            return value

    # -- misbehaving on purpose ---------------------------------------------------------------

    async def go_away(self, *, close: bool = True) -> None:
        """Announce the connection's end, as Gemini does near its ~10-minute limit, then close."""
        connection = self.current
        await self._send(connection, {"goAway": {"timeLeft": "0s"}})
        if close:
            await connection.socket.close(1000, "session ended")

    async def drop(self, code: int = 1011, reason: str = "internal error") -> None:
        """Close the current connection abruptly, as a failing server does."""
        await self.current.socket.close(code, reason)

    async def speak(self, text: str, *, audio_seconds: float | None = None) -> None:
        """A reply the model starts by itself (not in answer to a step)."""
        await self._reply(self.current, text, audio_seconds)

    async def hear(self, text: str, *, then_nothing: bool = False) -> None:
        """The model's transcription of what the caller said (sent as input transcription);
        with `then_nothing`, the model ends its turn there without a word, as a stalled
        Gemini does."""
        await self._send(self.current, {"serverContent": {"inputTranscription": {"text": text}}})
        if then_nothing:
            await self._send(self.current, {"serverContent": {"turnComplete": True}})

    # -- the protocol -------------------------------------------------------------------------

    async def _handle(self, socket: ServerConnection) -> None:
        first = json.loads(await socket.recv())
        # google-genai writes some fields in snake_case; Gemini, like any proto3 JSON parser,
        # reads both spellings, so the stand-in reads them as camelCase.
        setup = {camel(key): value for key, value in first.get("setup", {}).items()}
        if self.refused < self.refuse_setups:
            self.refused += 1
            await socket.close(1011, "The service is currently unavailable.")
            return
        request = socket.request
        connection = Connection(
            number=len(self.connections) + 1,
            path=request.path if request else "",
            headers=dict(request.headers) if request else {},
            setup=setup,
            socket=socket,
        )
        model = str(setup.get("model", "")).rsplit("/", 1)[-1]
        if self.known_models is not None and model not in self.known_models:
            self.refused_models.append(model)
            await self._notify()
            await socket.close(1008, f"models/{model} is not found for API version v1alpha"[:120])
            return
        problems = declaration_problems(setup)
        if problems:
            self.setup_problems += problems
            await self._notify()
            # A close reason must fit in 123 bytes; the whole list is in `setup_problems`.
            await socket.close(1007, f"Invalid function declarations: {problems[0]}"[:120])
            return
        self.connections.append(connection)
        await self._notify()
        await self._send(connection, {"setupComplete": {}})
        try:
            async for raw in socket:
                frame = camel_keys(json.loads(raw))
                connection.frames.append(frame)
                connection.arrived.append(time.perf_counter())
                await self._notify()
                await self._on_frame(connection, frame)
        except ConnectionClosed:
            pass
        finally:
            if socket.close_code is not None:
                connection.closed_by_client = socket.close_code
            await self._notify()

    async def _on_frame(self, connection: Connection, frame: dict[str, Any]) -> None:
        if (content := frame.get("clientContent")) and content.get("turnComplete"):
            self._play_next(connection)
        elif response := frame.get("toolResponse"):
            # A response to a call the model took back is ignored, as Gemini ignores it.
            answered = {r.get("id") for r in response.get("functionResponses", [])}
            if not answered - self.cancelled_ids:
                return
            waiting = self._pending_calls.get(connection.number, set())
            waiting -= answered
            if not waiting:
                self._play_next(connection)

    def _play_next(self, connection: Connection) -> None:
        step = self.script.pop(0) if self.script else DEFAULT_REPLY
        self.steps_played += 1
        task = asyncio.create_task(self._play(connection, step))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _play(self, connection: Connection, step: Step) -> None:
        with contextlib.suppress(ConnectionClosed):
            if callable(step):
                step = step(connection)
                if asyncio.iscoroutine(step):
                    step = await step
                if step is None:
                    return
            if step == SILENT:
                return
            if isinstance(step, str):
                await self._reply(connection, step, None)
                return
            calls = step if isinstance(step, list) else [step]
            if delay := max(c.get("after", 0.0) for c in calls):
                await asyncio.sleep(delay)
            await self._call_tools(connection, calls)

    async def _reply(self, connection: Connection, text: str, audio_seconds: float | None) -> None:
        seconds = self.reply_audio_seconds if audio_seconds is None else audio_seconds
        audio = base64.b64encode(pcm_silence(seconds)).decode()
        mime = f"audio/pcm;rate={OUTPUT_RATE}"
        await self._send(
            connection,
            {
                "serverContent": {
                    "modelTurn": {"parts": [{"inlineData": {"mimeType": mime, "data": audio}}]}
                }
            },
        )
        await self._send(connection, {"serverContent": {"outputTranscription": {"text": text}}})
        await self._send(connection, {"serverContent": {"generationComplete": True}})
        await self._send(connection, {"serverContent": {"turnComplete": True}})
        if self.give_handles:
            handle = f"handle-{next(self._handles)}"
            await self._send(
                connection, {"sessionResumptionUpdate": {"newHandle": handle, "resumable": True}}
            )

    async def _call_tools(self, connection: Connection, calls: list[dict[str, Any]]) -> None:
        function_calls = []
        for call in calls:
            call_id = call.get("id", f"fc-{next(self._ids)}")
            function_calls.append({"id": call_id, "name": call["name"], "args": call["arguments"]})
        self._pending_calls[connection.number] = {c["id"] for c in function_calls}
        await self._send(connection, {"toolCall": {"functionCalls": function_calls}})

    def streamed(self, text: str, *, seconds: float, chunk: float = 0.1) -> Step:
        """A step in which the model speaks for `seconds` of real time, audio arriving in
        `chunk`-long pieces as Gemini streams it, then its transcript."""

        async def play(connection: Connection) -> None:
            mime = f"audio/pcm;rate={OUTPUT_RATE}"
            piece = base64.b64encode(pcm_silence(chunk)).decode()
            for _ in range(round(seconds / chunk)):
                part = {"inlineData": {"mimeType": mime, "data": piece}}
                await self._send(connection, {"serverContent": {"modelTurn": {"parts": [part]}}})
                await asyncio.sleep(chunk)
            await self._send(connection, {"serverContent": {"outputTranscription": {"text": text}}})
            await self._send(connection, {"serverContent": {"generationComplete": True}})
            await self._send(connection, {"serverContent": {"turnComplete": True}})

        return play

    async def cancel_tool_calls(self, ids: list[str]) -> None:
        """Take these calls back, as Gemini does when the caller speaks over a blocking call:
        the client is told, and their responses will be ignored."""
        self.cancelled_ids.update(ids)
        self._pending_calls.get(self.current.number, set()).difference_update(ids)
        await self._send(self.current, {"toolCallCancellation": {"ids": ids}})

    async def _send(self, connection: Connection, message: dict[str, Any]) -> None:
        connection.sent.append(message)
        await connection.socket.send(json.dumps(message))

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()
