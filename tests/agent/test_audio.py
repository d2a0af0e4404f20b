"""Audio both ways through the real AgentSession and the real Gemini Live plugin.

The caller's audio goes into the session's audio input as a phone line delivers it (20 ms mono
int16 frames) and must reach Gemini as 16 kHz PCM; Gemini's 24 kHz speech must come out of the
session's audio output unchanged. The phone line and loudspeaker here, and the stand-in that
speaks in 20 ms chunks, are also what benchmark case 7 (benchmarks/voice_load.py) runs on.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import math
import struct
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from livekit import rtc
from livekit.agents import AgentSession, TurnHandlingOptions
from livekit.agents.voice.io import AudioInput, AudioOutput, AudioOutputCapabilities

from booking.agent.call import CallRuntime, new_receptionist, new_session, open_call
from booking.agent.caller import CallerLine
from booking.agent.recorder import CallRecorder
from booking.agent.state import CallState
from booking.db import Database
from tests.agent.conftest import SHOP_NUMBER, make_runtime
from tests.agent.scripted import tool
from tests.gemini_live.server import OUTPUT_RATE, Connection, GeminiLiveStandIn, Step

if TYPE_CHECKING:  # imported by name, pytest would try to collect it as a test class
    from tests.gemini_live.server import TestAuthority

GEMINI_INPUT_RATE = 16_000
FRAME_SECONDS = 0.02


# -- the phone line: audio in, audio out ----------------------------------------------------


def tone_pcm(seconds: float, rate: int, hz: float = 440.0, amplitude: int = 8000) -> bytes:
    """A sine tone as 16-bit mono PCM: non-zero bytes, so lost or zeroed audio shows."""
    count = round(rate * seconds)
    return struct.pack(
        f"<{count}h",
        *(round(amplitude * math.sin(2 * math.pi * hz * n / rate)) for n in range(count)),
    )


def tone_frames(seconds: float, rate: int) -> list[rtc.AudioFrame]:
    """`seconds` of tone cut into 20 ms frames, as a phone line (8 kHz) or a room (24 kHz)
    delivers them."""
    pcm = tone_pcm(seconds, rate)
    step = round(rate * FRAME_SECONDS) * 2
    return [
        rtc.AudioFrame(pcm[i : i + step], rate, 1, len(pcm[i : i + step]) // 2)
        for i in range(0, len(pcm), step)
    ]


class PhoneLineIn(AudioInput):
    """The caller's side of the line: frames pushed here are what the session hears."""

    def __init__(self) -> None:
        super().__init__(label="phone line")
        self._frames: asyncio.Queue[rtc.AudioFrame | None] = asyncio.Queue()

    def push(self, frame: rtc.AudioFrame) -> None:
        self._frames.put_nowait(frame)

    def close(self) -> None:
        self._frames.put_nowait(None)

    async def __anext__(self) -> rtc.AudioFrame:
        frame = await self._frames.get()
        if frame is None:
            raise StopAsyncIteration
        return frame


@dataclass
class Heard:
    """One frame the loudspeaker received: when (perf_counter), and the frame."""

    at: float
    frame: rtc.AudioFrame


class Loudspeaker(AudioOutput):
    """The agent's side of the line: records each frame and when it arrived, split into the
    segments the session flushes (one per reply). Playout is reported done at the flush, as
    frames are taken as fast as they come."""

    def __init__(self, sample_rate: int | None = None) -> None:
        super().__init__(
            label="loudspeaker",
            capabilities=AudioOutputCapabilities(pause=True),
            sample_rate=sample_rate,
        )
        self.segments: list[list[Heard]] = []
        self.finished = 0
        self._pushed = 0.0
        self._changed = asyncio.Event()

    async def capture_frame(self, frame: rtc.AudioFrame) -> None:
        await super().capture_frame(frame)
        if not self._pushed:
            self.segments.append([])
            self.on_playback_started(created_at=time.time())
        self._pushed += frame.duration
        self.segments[-1].append(Heard(time.perf_counter(), frame))

    def flush(self) -> None:
        super().flush()
        self._done(interrupted=False)

    def clear_buffer(self) -> None:
        self._done(interrupted=True)

    def _done(self, *, interrupted: bool) -> None:
        if not self._pushed:
            return
        played, self._pushed = self._pushed, 0.0
        self.finished += 1
        self._changed.set()
        asyncio.get_running_loop().call_soon(
            lambda: self.on_playback_finished(playback_position=played, interrupted=interrupted)
        )

    async def wait_for_segments(self, count: int, within: float) -> None:
        """Wait until `count` replies have been played out whole."""
        async with asyncio.timeout(within):
            while self.finished < count:
                self._changed.clear()
                await self._changed.wait()

    def pcm(self) -> bytes:
        return b"".join(bytes(h.frame.data) for segment in self.segments for h in segment)


# -- a stand-in that speaks as Gemini does on a phone line -----------------------------------


class VoiceStandIn(GeminiLiveStandIn):
    """The stand-in with audio as Gemini streams it: each reply a tone in 20 ms inlineData
    chunks, optionally sent at real-time pace. It also counts the caller's audio bytes per
    connection, times each tool call until its response, and can hold a script per connection
    (for many calls at once against one stand-in)."""

    def __init__(
        self,
        authority: TestAuthority,
        *,
        chunk_seconds: float = FRAME_SECONDS,
        real_time: bool = False,
        **options: Any,
    ) -> None:
        super().__init__(authority, **options)
        self.chunk_seconds = chunk_seconds
        self.real_time = real_time
        self.caller_bytes: dict[int, int] = {}
        self.scripts: dict[int, list[Step]] = {}
        self.tool_waits: list[tuple[str, float]] = []
        self.send_lateness: list[float] = []  # how late each paced chunk left (the stand-in's lag)
        self.sent_pcm: list[bytes] = []
        self._tool_sent: dict[str, tuple[str, float]] = {}

    def audio_received(self) -> bytes:
        """The caller's audio as the client streamed it (16 kHz PCM). google-genai encodes
        bytes as URL-safe base64, which `b64decode` would read wrongly (it drops `-` and `_`)."""
        return b"".join(base64.urlsafe_b64decode(blob["data"]) for blob in audio_blobs(self))

    async def play(self, step: Step, connection: Connection | None = None) -> None:
        """Play a step now, as the model does by itself when the caller stops speaking."""
        await self._play(connection or self.current, step)

    async def _on_frame(self, connection: Connection, frame: dict[str, Any]) -> None:
        if media := frame.get("realtimeInput"):
            if blob := media.get("audio"):
                count = len(base64.urlsafe_b64decode(blob["data"]))
                self.caller_bytes[connection.number] = (
                    self.caller_bytes.get(connection.number, 0) + count
                )
        elif response := frame.get("toolResponse"):
            now = time.perf_counter()
            for answered in response.get("functionResponses", []):
                if sent := self._tool_sent.pop(answered.get("id"), None):
                    self.tool_waits.append((sent[0], now - sent[1]))
        await super()._on_frame(connection, frame)

    def _play_next(self, connection: Connection) -> None:
        if script := self.scripts.get(connection.number):
            self.script.insert(0, script.pop(0))
        super()._play_next(connection)

    async def _call_tools(self, connection: Connection, calls: list[dict[str, Any]]) -> None:
        for call in calls:
            call.setdefault("id", f"fc-{next(self._ids)}")
            self._tool_sent[call["id"]] = (call["name"], time.perf_counter())
        await super()._call_tools(connection, calls)

    def _stamp(self, chunk: bytes, due: float) -> bytes:
        """A chunk as sent; a benchmark may write timings into it (due: its real-time slot)."""
        return chunk

    async def _reply(self, connection: Connection, text: str, audio_seconds: float | None) -> None:
        seconds = self.reply_audio_seconds if audio_seconds is None else audio_seconds
        pcm = tone_pcm(seconds, OUTPUT_RATE)
        self.sent_pcm.append(pcm)
        step = round(OUTPUT_RATE * self.chunk_seconds) * 2
        mime = f"audio/pcm;rate={OUTPUT_RATE}"
        began = time.perf_counter()
        for offset in range(0, len(pcm), step):
            due = began + offset / 2 / OUTPUT_RATE
            if self.real_time:
                if (wait := due - time.perf_counter()) > 0:
                    await asyncio.sleep(wait)
                self.send_lateness.append(max(0.0, time.perf_counter() - due))
            data = base64.b64encode(self._stamp(pcm[offset : offset + step], due)).decode()
            part = {"inlineData": {"mimeType": mime, "data": data}}
            await self._send(connection, {"serverContent": {"modelTurn": {"parts": [part]}}})
        await self._send(connection, {"serverContent": {"outputTranscription": {"text": text}}})
        await self._send(connection, {"serverContent": {"generationComplete": True}})
        await self._send(connection, {"serverContent": {"turnComplete": True}})


# -- a call with a phone line ----------------------------------------------------------------


@dataclass
class VoiceCall:
    session: AgentSession[CallState]
    state: CallState
    recorder: CallRecorder
    line_in: PhoneLineIn
    speaker: Loudspeaker

    async def hang_up(self) -> None:
        self.line_in.close()
        await self.session.aclose()
        await self.recorder.finish()


async def start_voice_call(
    runtime: CallRuntime, caller: str | None, *, room_name: str = "t", output_rate: int = 24_000
) -> VoiceCall:
    """A call as `start_call` opens it, with the line's audio input and output attached before
    the session starts, as the room's are in production."""
    opened = await open_call(
        runtime, CallerLine(caller=caller, dialled=SHOP_NUMBER, room_name=room_name)
    )
    assert opened is not None
    state, upcoming = opened
    session = new_session(
        runtime, state, vad=None, turn_handling=TurnHandlingOptions(turn_detection=None)
    )
    line_in, speaker = PhoneLineIn(), Loudspeaker(output_rate)
    session.input.audio = line_in
    session.output.audio = speaker
    recorder = CallRecorder(session, state)
    await session.start(new_receptionist(runtime, state, upcoming, greet=False))
    return VoiceCall(session, state, recorder, line_in, speaker)


@pytest.fixture
async def voice_live(test_authority: TestAuthority) -> AsyncIterator[VoiceStandIn]:
    """The stand-in speaking in 20 ms chunks of tone."""
    server = VoiceStandIn(test_authority)
    await server.start()
    yield server
    await server.stop()


def audio_blobs(server: GeminiLiveStandIn) -> list[dict[str, Any]]:
    return [f["audio"] for f in server.frames("realtimeInput") if f.get("audio")]


# -- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("rate", [8_000, 24_000])
async def test_caller_audio_reaches_gemini_as_16khz(
    db: Database, shop: Any, voice_live: VoiceStandIn, rate: int
) -> None:
    """One second of the caller's tone, in 20 ms frames at the phone's 8 kHz or the room's
    24 kHz, reaches Gemini as 16 kHz PCM blobs holding about one second of the same tone."""
    call = await start_voice_call(make_runtime(db, voice_live), "+12345678900")
    try:
        for frame in tone_frames(1.0, rate):
            call.line_in.push(frame)
        expected = GEMINI_INPUT_RATE * 2  # one second of 16-bit samples
        # The plugin sends whole 50 ms chunks and its resampler holds back a few samples.
        shortfall = GEMINI_INPUT_RATE * 2 // 20 * 2
        await voice_live.wait_for(
            lambda: len(voice_live.audio_received()) >= expected - shortfall, within=3
        )
        await asyncio.sleep(0.1)  # nothing more than fed may arrive
        blobs = audio_blobs(voice_live)
        assert {b["mimeType"] for b in blobs} == {f"audio/pcm;rate={GEMINI_INPUT_RATE}"}
        received = voice_live.audio_received()
        assert expected - shortfall <= len(received) <= expected
        samples = struct.unpack(f"<{len(received) // 2}h", received)
        assert max(abs(s) for s in samples) > 4000  # the tone, not silence
        # Read at 16 kHz, the samples still hold a 440 Hz tone (two zero crossings a cycle).
        crossings = sum(1 for a, b in itertools.pairwise(samples) if (a < 0) != (b < 0))
        seconds = len(samples) / GEMINI_INPUT_RATE
        assert crossings / seconds / 2 == pytest.approx(440, rel=0.03)
    finally:
        await call.hang_up()


async def test_gemini_speech_comes_out_at_24khz(
    db: Database, shop: Any, voice_live: VoiceStandIn
) -> None:
    """Half a second of Gemini's speech (24 kHz, in 20 ms chunks) comes out of the session's
    audio output as 24 kHz frames with every sample, unchanged and in order."""
    call = await start_voice_call(make_runtime(db, voice_live), "+12345678900")
    try:
        call.line_in.push(tone_frames(0.02, 24_000)[0])  # the line is open: the socket is up
        await voice_live.wait_for(lambda: voice_live.connections, within=3)
        await voice_live.speak("Hello, this is the salon.", audio_seconds=0.5)
        await call.speaker.wait_for_segments(1, within=3)
        frames = [h.frame for h in call.speaker.segments[0]]
        assert {f.sample_rate for f in frames} == {OUTPUT_RATE}
        assert {f.num_channels for f in frames} == {1}
        assert sum(f.samples_per_channel for f in frames) == OUTPUT_RATE // 2
        assert call.speaker.pcm() == voice_live.sent_pcm[0]
    finally:
        await call.hang_up()


async def test_caller_speaks_then_agent_answers_in_real_time(
    db: Database, shop: Any, test_authority: TestAuthority
) -> None:
    """After half a second of the caller's audio the model checks availability; the tool's
    answer goes back and the spoken reply, streamed at real-time pace, reaches the output
    spread over its own length (not bunched up, not late)."""
    server = VoiceStandIn(test_authority, real_time=True, reply_audio_seconds=0.4)
    await server.start()
    call = await start_voice_call(make_runtime(db, server), "+12345678900")
    try:
        for frame in tone_frames(1.0, 8_000):
            call.line_in.push(frame)
        await server.wait_for(lambda: server.caller_bytes.get(1, 0) >= GEMINI_INPUT_RATE, 3)
        server.scripts[1] = ["I have a few times on Tuesday morning."]
        await server.play(
            tool("check_availability", date="2026-12-01", part_of_day="morning", service="haircut")
        )
        await call.speaker.wait_for_segments(1, within=4)
        [(name, wait)] = server.tool_waits
        assert name == "check_availability" and wait < 2
        [output] = server.tool_responses()
        assert "Tuesday" in output["response"]["output"]
        heard = call.speaker.segments[0]
        assert sum(h.frame.samples_per_channel for h in heard) == round(OUTPUT_RATE * 0.4)
        spread = heard[-1].at - heard[0].at
        assert 0.3 <= spread <= 0.6  # 0.38 s between the first and the last 20 ms chunk
    finally:
        await call.hang_up()
        await server.stop()
