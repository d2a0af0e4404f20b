"""One phone call from start to finish: identify, greet, converse through the tools, hang up."""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from livekit.agents import Agent, AgentSession, JobContext

from booking.agent.bridge import ServiceBridge
from booking.agent.caller import CallerLine, identify_call, read_line
from booking.agent.farewell import say_goodbye_and_hang_up
from booking.agent.limits import CallLimits
from booking.agent.model import CallRealtimeModel, ModelFactory
from booking.agent.outage import ModelOutage
from booking.agent.receptionist import Receptionist
from booking.agent.recorder import CallRecorder
from booking.agent.state import CallState
from booking.agent.watchdog import StallWatchdog
from booking.config import Settings
from booking.db import Database
from booking.logging import get_logger
from booking.models import utcnow
from booking.services.admission import Refusal
from booking.services.appointments import AppointmentInfo

log = get_logger(__name__)


@dataclass(frozen=True)
class CallRuntime:
    """What every call shares: the database (owned by the app loop), the bridge to it, settings,
    the model factory and the clock."""

    db: Database
    bridge: ServiceBridge
    settings: Settings
    model_factory: ModelFactory
    clock: Callable[[], datetime] = utcnow


class CallRefused(Exception):
    """The line does not answer this call (a blocked number, too many calls): it is already
    logged as refused, and no model may be connected for it."""

    def __init__(self, call_id: int, refusal: Refusal) -> None:
        super().__init__(refusal.reason)
        self.call_id = call_id
        self.refusal = refusal


async def open_call(
    runtime: CallRuntime, line: CallerLine
) -> tuple[CallState, list[AppointmentInfo]] | None:
    """Look the caller up and open the call's log row (one hop to the app loop); raises
    CallRefused for a call the line must not answer."""
    setup = await runtime.bridge.call(
        identify_call(runtime.db, line, runtime.settings.business_id, runtime.clock()),
        cancel_on_timeout=False,
    )
    if setup is None:
        return None
    if setup.refusal is not None:
        raise CallRefused(setup.call_id, setup.refusal)
    state = CallState(
        bridge=runtime.bridge,
        db=runtime.db,
        business=setup.business,
        call_id=setup.call_id,
        caller_number=setup.caller_number,
        dialled_number=setup.dialled_number,
        customer=setup.customer,
        clock=runtime.clock,
        default_staff_id=runtime.settings.staff_id,
    )
    return state, setup.upcoming


def new_session(runtime: CallRuntime, state: CallState, **options: Any) -> AgentSession[CallState]:
    model = runtime.model_factory()
    if isinstance(model, CallRealtimeModel):
        model.recap = state.recap  # a renewed Gemini connection starts from the call's state
    return AgentSession[CallState](
        llm=model,
        userdata=state,
        user_away_timeout=runtime.settings.silence_timeout_seconds,
        max_tool_steps=4,
        **options,
    )


def new_receptionist(
    runtime: CallRuntime, state: CallState, upcoming: list[AppointmentInfo], *, greet: bool = True
) -> Receptionist:
    return Receptionist(
        state,
        upcoming,
        transcription_notice=runtime.settings.transcription_notice,
        greet=greet,
    )


SORRY = (
    "Apologise briefly: the booking system is unavailable right now, so please call again a "
    "little later. Then say goodbye."
)


async def apologise_and_hang_up(ctx: JobContext, runtime: CallRuntime) -> None:
    """The database is unreachable (or no business is set up): the caller still hears a
    sentence, then the line is dropped."""
    session: AgentSession[None] = AgentSession(llm=runtime.model_factory())

    async def hang_up() -> None:
        with contextlib.suppress(Exception):
            await session.aclose()
        with contextlib.suppress(Exception):
            await ctx.delete_room()
        ctx.shutdown("unavailable")

    try:
        await session.start(agent=Agent(instructions=SORRY), room=ctx.room)
    except Exception:
        log.exception("could not apologise to the caller")
        await hang_up()
        return
    await say_goodbye_and_hang_up(session, SORRY, hang_up)


async def drop_refused(ctx: JobContext, refused: CallRefused) -> None:
    """Drop a refused call without a model: deleting the room ends the phone line (the caller
    hears it end, as a busy line)."""
    log.info("call refused", call_id=refused.call_id, reason=refused.refusal.reason)
    with contextlib.suppress(Exception):
        await ctx.delete_room()
    ctx.shutdown("refused")


def watch_for_stalls(
    runtime: CallRuntime,
    session: AgentSession[CallState],
    outage: ModelOutage,
    recorder: CallRecorder,
    hang_up: Callable[[], Awaitable[None]],
) -> StallWatchdog | None:
    """A watchdog for a Gemini Live model that goes quiet (text models never do)."""
    model = session.llm
    if not isinstance(model, CallRealtimeModel):
        return None
    return StallWatchdog(
        session,
        model,
        stall_seconds=runtime.settings.model_stall_seconds,
        outage=outage,
        note=recorder.note_event,
        hang_up=hang_up,
    )


async def run_call(ctx: JobContext, runtime: CallRuntime) -> None:
    """The entrypoint's body for one call (runs on the call's own thread and loop)."""
    participant = await ctx.wait_for_participant()
    line = read_line(participant.identity, participant.attributes, ctx.job.room.name)
    try:
        opened = await open_call(runtime, line)
    except CallRefused as refused:
        await drop_refused(ctx, refused)
        return
    except Exception:
        log.exception("could not open the call; apologising", room=ctx.room.name)
        opened = None
    if opened is None:
        await apologise_and_hang_up(ctx, runtime)
        return
    state, upcoming = opened

    async def transfer(number: str) -> None:
        await ctx.transfer_sip_participant(participant, f"tel:{number}")

    state.transfer = transfer
    session = new_session(runtime, state)
    recorder = CallRecorder(session, state)
    outage = ModelOutage(session, state, session.llm)

    async def hang_up() -> None:
        session.shutdown()

    limits = CallLimits(
        session,
        max_seconds=state.business.max_call_seconds,
        silence_seconds=runtime.settings.silence_timeout_seconds,
        hang_up=hang_up,
    )
    watchdog = watch_for_stalls(runtime, session, outage, recorder, hang_up)

    async def on_shutdown(reason: str) -> None:
        limits.stop()
        if watchdog is not None:
            watchdog.stop()
        await outage.settled()  # a transfer must happen before the room goes
        await recorder.finish()
        with contextlib.suppress(Exception):
            await ctx.delete_room()  # deleting the room is what drops the phone line

    ctx.add_shutdown_callback(on_shutdown)
    session.on("close", lambda _event: ctx.shutdown("session closed"))
    log.info("call started", call_id=state.call_id, known=state.customer is not None)
    await session.start(agent=new_receptionist(runtime, state, upcoming), room=ctx.room)
    limits.start()
    if watchdog is not None:
        watchdog.start()
