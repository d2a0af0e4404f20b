"""Gemini's limits for function declarations, checked on the `setup` frame a client sends.

Gemini accepts a subset of OpenAPI 3.0 schema for a function's `parameters` (its `Schema`
message): these keys only, these types only, string-only enums, non-empty properties for an
OBJECT, `items` for an ARRAY, `required` naming real properties, and function names of at most
64 letters, digits, underscores, dots or dashes. The live service refuses a setup that breaks
one of them (the socket closes with 1007 and the call never starts), so the stand-in does too.
Field names may be camelCase or snake_case, as proto3 JSON parsing accepts both.
"""

from __future__ import annotations

import re
from typing import Any

SCHEMA_KEYS = {
    "type", "format", "title", "description", "nullable", "enum", "maxItems", "minItems",
    "properties", "required", "minProperties", "maxProperties", "minLength", "maxLength",
    "pattern", "example", "anyOf", "propertyOrdering", "default", "items", "minimum", "maximum",
}  # fmt: skip
TYPES = {"STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"}
DECLARATION_KEYS = {"name", "description", "parameters", "behavior", "response"}
BEHAVIORS = {"BLOCKING", "NON_BLOCKING"}
NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")


def declaration_problems(setup: dict[str, Any]) -> list[str]:
    """Every reason Gemini would refuse the function declarations in this `setup` frame."""
    problems: list[str] = []
    seen: set[str] = set()
    for t, tool in enumerate(setup.get("tools") or []):
        for d, declaration in enumerate(tool.get("functionDeclarations") or []):
            where = f"tools[{t}].functionDeclarations[{d}]"
            name = declaration.get("name", "")
            if not NAME.match(name):
                problems.append(f"{where}.name: {name!r} is not a valid function name")
            if name in seen:
                problems.append(f"{where}.name: {name!r} is declared twice")
            seen.add(name)
            declaration = {camel(key): value for key, value in declaration.items()}
            for key in set(declaration) - DECLARATION_KEYS:
                problems.append(f"{where}: unknown field {key!r}")
            behavior = declaration.get("behavior")
            if behavior is not None and behavior not in BEHAVIORS:
                problems.append(f"{where}.behavior: {behavior!r} is not a behaviour")
            if "parameters" in declaration:
                problems += schema_problems(declaration["parameters"], f"{where}.parameters")
    return problems


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def schema_problems(schema: Any, where: str) -> list[str]:
    """Why Gemini would refuse this `Schema` (and the schemas nested in it)."""
    if not isinstance(schema, dict):
        return [f"{where}: a schema must be an object"]
    schema = {camel(key): value for key, value in schema.items()}
    problems = [f"{where}: unknown field {key!r}" for key in sorted(set(schema) - SCHEMA_KEYS)]
    kind = str(schema.get("type", "")).upper()
    if "anyOf" in schema:
        for i, option in enumerate(schema["anyOf"]):
            problems += schema_problems(option, f"{where}.anyOf[{i}]")
    elif kind not in TYPES:
        problems.append(f"{where}.type: {schema.get('type')!r} is not a Gemini type")
    if "enum" in schema and (
        kind != "STRING" or not all(isinstance(v, str) for v in schema["enum"])
    ):
        problems.append(f"{where}.enum: only STRING values may be enumerated")
    if kind == "OBJECT":
        properties = schema.get("properties") or {}
        if not properties:
            problems.append(f"{where}.properties: should be non-empty for OBJECT type")
        for key, sub in properties.items():
            problems += schema_problems(sub, f"{where}.properties[{key}]")
        for key in schema.get("required") or []:
            if key not in properties:
                problems.append(f"{where}.required: {key!r} is not a property")
    if kind == "ARRAY":
        if "items" not in schema:
            problems.append(f"{where}.items: missing field for ARRAY type")
        else:
            problems += schema_problems(schema["items"], f"{where}.items")
    return problems
