"""One argument check for every receptionist tool, on both model paths.

LiveKit checks a tool's typed arguments before the tool runs and, when they are wrong, sends
the model pydantic's raw report ("1 validation error for BookAppointmentArgs ... visit
https://errors.pydantic.dev/..."), which Gemini reads aloud or stalls on, and no tool-call row
is written. `checked_tool` declares the tool to the model exactly as `@function_tool` would
(the schema of its typed signature), but receives the raw arguments and checks them itself: a
missing or wrong-typed argument becomes one short sentence naming the argument and what it
must be, and the refusal is written to the call log like any other tool result.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from types import MethodType
from typing import Any, Concatenate, Protocol

from livekit.agents import RunContext, ToolError, function_tool
from livekit.agents.llm.utils import (
    build_legacy_openai_schema,
    function_arguments_to_pydantic_model,
)
from pydantic import BaseModel, ValidationError

from booking import metrics

_KINDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
}


class ToolLog(Protocol):
    """What a tool's owner offers: writing a refused call to the call log, and a word to the
    model about a call it took back."""

    async def log_tool_call(
        self,
        name: str,
        arguments: dict[str, Any],
        result: str | None,
        error: str | None,
        latency_ms: float,
    ) -> None: ...

    async def tell_model_after_cancel(self, context: RunContext[Any], outcome: str) -> None: ...


ToolMethod = Callable[Concatenate[Any, RunContext[Any], ...], Awaitable[Any]]


class _Declaring:
    """A stand-in `self`, so a method's own signature (without `self`) can be read."""


def checked_tool(method: ToolMethod) -> Any:
    """Like `@function_tool` on an Agent method, with our argument check in front of it."""
    bound = MethodType(method, _Declaring())
    declared = build_legacy_openai_schema(function_tool(bound), internally_tagged=True)
    schema = {key: declared[key] for key in ("name", "description", "parameters")}
    arguments_model = function_arguments_to_pydantic_model(bound)
    name = schema["name"]

    async def run(self: ToolLog, raw_arguments: dict[str, object], context: RunContext[Any]) -> Any:
        started = time.perf_counter()
        try:
            checked = check_arguments(arguments_model, raw_arguments)
        except ValidationError as exc:
            sentence = argument_sentence(name, schema["parameters"], exc)
            elapsed = time.perf_counter() - started
            metrics.TOOL_LATENCY.labels(tool=name).observe(elapsed)
            await self.log_tool_call(name, dict(raw_arguments), None, sentence, elapsed * 1000)
            raise ToolError(sentence) from None
        try:
            result = await method(self, context, **checked)
        except ToolError as exc:
            await self.tell_model_after_cancel(context, f"It did not go through: {exc.message}")
            raise
        if isinstance(result, str):
            await self.tell_model_after_cancel(context, result)
        return result

    # Not functools.wraps: LiveKit must see `run`'s own (raw) signature, not the typed one.
    run.__name__, run.__qualname__, run.__doc__ = name, method.__qualname__, method.__doc__
    return function_tool(run, raw_schema=schema)


def check_arguments(model: type[BaseModel], raw: dict[str, object]) -> dict[str, Any]:
    """The arguments as the tool's types want them. A null for an argument with a default
    means "not given", as LiveKit reads it; unknown arguments are ignored."""
    given = {
        key: value
        for key, value in raw.items()
        if key in model.model_fields
        and not (value is None and not model.model_fields[key].is_required())
    }
    parsed = model.model_validate(given)
    return {key: getattr(parsed, key) for key in model.model_fields}


def argument_sentence(tool: str, parameters: dict[str, Any], error: ValidationError) -> str:
    """One sentence for the model about the first bad argument: which, and what it must be."""
    first = error.errors()[0]
    argument = str(first["loc"][0]) if first["loc"] else ""
    spec = (parameters.get("properties") or {}).get(argument, {})
    wanted = _what_it_must_be(spec)
    if first["type"] == "missing":
        return f"{tool} needs {argument}, which must be {wanted}. Call it again with {argument}."
    return (
        f"The {argument} given to {tool} is not right: it must be {wanted}. "
        f"Call {tool} again with a correct {argument}."
    )


def _what_it_must_be(spec: dict[str, Any]) -> str:
    options = [o for o in spec.get("anyOf", []) if o.get("type") != "null"] or [spec]
    choice = options[0]
    if "enum" in choice:
        values = [str(v) for v in choice["enum"]]
        return "one of " + ", ".join(values[:-1]) + " or " + values[-1]
    kind = _KINDS.get(str(choice.get("type", "")), "a value")
    description = str(spec.get("description") or "").strip().rstrip(".")
    return f"{kind} ({description})" if description else kind
