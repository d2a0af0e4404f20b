"""A scripted `llm.LLM`: each `chat()` plays the next step (a reply or a tool call).

LiveKit ships no fake model; this drives the real `AgentSession` in text mode so tests can
assert what the model was given (instructions, tool outputs) and what ended up in the database.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

from livekit.agents import llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

# A reply, a tool call, several tool calls in one step (parallel), or a function of the context.
Step = (
    str
    | dict[str, Any]
    | list[dict[str, Any]]
    | Callable[[llm.ChatContext], "str | dict[str, Any] | list[dict[str, Any]]"]
)


def tool(tool_name: str, /, *, after: float = 0.0, **arguments: Any) -> dict[str, Any]:
    """A step in which the model calls `tool_name` with these arguments (after a pause)."""
    return {"name": tool_name, "arguments": arguments, "after": after}


class ScriptedLLM(llm.LLM):
    def __init__(self, script: list[Step] | None = None) -> None:
        super().__init__()
        self.script: list[Step] = list(script or [])
        self.contexts: list[llm.ChatContext] = []
        self._calls = 0

    def add(self, *steps: Step) -> None:
        self.script.extend(steps)

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        **_: Any,
    ) -> llm.LLMStream:
        self.contexts.append(chat_ctx.copy())
        step = self.script.pop(0) if self.script else "Is there anything else?"
        if callable(step):
            step = step(chat_ctx)
        self._calls += 1
        return _ScriptedStream(
            self, step, self._calls, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options
        )

    def tool_emitted(self, name: str) -> None:
        """Called as each scripted tool call is sent; a subclass may time it."""

    def text_sent(self) -> str:
        """Everything the model was given in text over the call: instructions and turns."""
        return "\n".join(
            item.text_content or ""
            for context in self.contexts
            for item in context.items
            if getattr(item, "text_content", None)
        )

    async def wait_for_request(self, within: float = 5.0) -> str:
        """Wait until the model is first asked for a reply; what it was asked, as text."""
        async with asyncio.timeout(within):
            while not self.contexts:  # noqa: ASYNC110 - a plain list: nothing to await
                await asyncio.sleep(0.005)
        return self.text_sent()

    def instructions_seen(self) -> str:
        """The system instructions of the latest request, as the model received them."""
        for item in self.contexts[-1].items:
            if getattr(item, "role", None) in ("system", "developer"):
                return item.text_content or ""
        return ""


class _ScriptedStream(llm.LLMStream):
    def __init__(
        self,
        owner: ScriptedLLM,
        step: str | dict[str, Any] | list[dict[str, Any]],
        number: int,
        **kw: Any,
    ):
        super().__init__(owner, **kw)
        self._owner = owner
        self._step = step
        self._number = number

    async def _run(self) -> None:
        step = self._step
        if isinstance(step, dict | list):
            calls = step if isinstance(step, list) else [step]
            if any(call.get("after") for call in calls):
                await asyncio.sleep(max(call.get("after", 0.0) for call in calls))
            delta = llm.ChoiceDelta(
                role="assistant",
                tool_calls=[
                    llm.FunctionToolCall(
                        name=call["name"],
                        arguments=json.dumps(call["arguments"]),
                        call_id=f"call_{self._number}" + (f"_{index}" if index else ""),
                    )
                    for index, call in enumerate(calls)
                ],
            )
            for call in calls:
                self._owner.tool_emitted(call["name"])
        else:
            delta = llm.ChoiceDelta(role="assistant", content=step)
        self._event_ch.send_nowait(llm.ChatChunk(id=f"chunk_{self._number}", delta=delta))
