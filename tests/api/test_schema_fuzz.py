"""Schemathesis over the app's own OpenAPI document, in process, on a SQLite file.

Every operation gets generated requests, valid and invalid, with a real bearer token; every
answer must be below 500 and match what the document says (status code, content type, body).
Schemathesis calls the app through its own event loop in a thread, so the database is seeded
in a throwaway loop and its pool emptied before the app serves: every pooled connection is
then opened, and used, in schemathesis's loop alone.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import create_async_engine

from booking.api.app import create_app
from booking.db import Database
from booking.services import calendar_connections, tokens
from booking.services.calendar_sync import SyncSettings
from tests.calendars.feeds import GOOGLE_FEED
from tests.calendars.ics_server import IcsServer
from tests.conftest import NOW
from tests.factories import Shop, make_shop

# About 30 s of generated requests per 1,000; a longer hunt: BOOKING_FUZZ_EXAMPLES=300.
EXAMPLES_PER_OPERATION = int(os.environ.get("BOOKING_FUZZ_EXAMPLES", "30"))
SEED = 20261130

settings.register_profile(
    "schema-fuzz",
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=False,
    suppress_health_check=list(HealthCheck),
)


def a_422_names_each_field(ctx: object, response: schemathesis.Response, case: object) -> None:
    """Every 422 is problem details whose `errors` name at least one field, each with a reason."""
    if response.status_code != 422:
        return
    body = response.json()
    problems = body.get("errors") if isinstance(body, dict) else None
    assert problems, f"422 without the fields it refuses: {body}"
    for problem in problems:
        assert problem.get("field") and problem.get("message"), f"422 naming no field: {body}"


CHECKS = [
    not_a_server_error,
    a_422_names_each_field,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


# The document is read from the app when this module is collected; the database the app uses
# is attached by the `target` fixture below, before the first generated request.
APP = create_app(
    Database.from_engine(create_async_engine("sqlite+aiosqlite://")),
    clock=lambda: NOW,
    calendar_sync=SyncSettings(timeout_seconds=2.0, allow_private=True),
)
schema = schemathesis.openapi.from_asgi("/schema/openapi.json", APP)
schema.config.seed = SEED
schema.config.generation.update(
    modes=["positive", "negative"], deterministic=True, with_security_parameters=False
)


@dataclass(frozen=True)
class Target:
    db: Database
    shop: Shop
    token_id: int
    calendar_id: int  # Sam's calendar, on a local feed: every sync the fuzz asks for goes there


async def _seed(db: Database, feed_url: str) -> tuple[Shop, int, int]:
    shop = await make_shop(db)
    token_id = next(t.id for t in await tokens.list_tokens(db, shop.business_id))
    calendar = await calendar_connections.create_connection(
        db, shop.business_id, shop.sam, now=NOW, allow_private=True, kind="ics", url=feed_url
    )
    await db.engine.dispose()  # connections opened in this loop are not reused in another
    return shop, token_id, calendar.id


@pytest.fixture(scope="module")
def target(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    path = tmp_path_factory.mktemp("schema-fuzz") / "booking.db"
    shutil.copy(sqlite_template, path)
    db = Database.from_url(f"sqlite+aiosqlite:///{path}", pool_size=5)
    with IcsServer.start() as feed:
        feed.body = GOOGLE_FEED
        shop, token_id, calendar_id = asyncio.run(_seed(db, feed.url))
        APP.state.db = db
        yield Target(db, shop, token_id, calendar_id)
        asyncio.run(db.engine.dispose())


# Values no generator is likely to hit, put into a third of the cases: dates at the ends of the
# calendar (a date overflow once answered 500) and names with control characters (a newline in
# a staff name once broke the calendar feed).
EXTREME_DATES = ("0001-01-01", "9999-12-31")
DATE_FIELDS = {"start_date", "end_date", "date", "appointment_date", "starts_on", "ends_on"}
TEXT_FIELDS = {"name", "reason", "question"}


def with_extremes(case: schemathesis.Case) -> None:
    """Rewrite date and name fields of a third of the cases (chosen by their content, so the
    run stays deterministic) to the values above."""
    containers = [c for c in (case.query, case.body) if isinstance(c, dict)]
    seed = sum(len(str(c)) for c in containers)
    if seed % 3:
        return
    for container in containers:
        for key in list(container):
            if key in DATE_FIELDS:
                container[key] = EXTREME_DATES[seed % 2]
            elif key in TEXT_FIELDS and isinstance(container[key], str):
                container[key] = container[key] + "\n\t"


@schema.parametrize()
@settings(settings.get_profile("schema-fuzz"))
def test_every_operation_answers_within_its_documented_schema(
    case: schemathesis.Case, target: Target
) -> None:
    """Generated requests to every route (a third of them with dates at the ends of the
    calendar and names with control characters) get a documented status, never a 5xx, a body
    that matches the response schema the OpenAPI document gives for that status, and a 422
    names every field it refuses."""
    ids = case.path_parameters or {}
    if case.method == "DELETE" and ids.get("token_id") == target.token_id:
        ids["token_id"] = target.token_id + 10_000  # revoking our own token would end the run
    # A sync fetches the connection's address: only ever the seeded one on the local feed, and
    # that one is never readdressed (the tests reach no other host).
    if case.path.endswith("/sync"):
        ids["connection_id"] = target.calendar_id
    elif "connection_id" in ids and ids["connection_id"] == target.calendar_id:
        ids["connection_id"] = target.calendar_id + 10_000
    with_extremes(case)
    case.call_and_validate(headers={"Authorization": f"Bearer {target.shop.token}"}, checks=CHECKS)


async def test_nul_characters_are_refused_naming_the_field(
    client: httpx.AsyncClient, auth: dict[str, str], shop: Shop
) -> None:
    """Text with U+0000 (which PostgreSQL cannot store) is a 422 naming the field, in a body
    and in the customer search, and nothing is stored."""
    created = await client.post(
        "/api/customers",
        headers=auth,
        json={"business_id": shop.business_id, "phone": "+12125550111", "name": "A\x00da"},
    )
    searched = await client.get("/api/customers", headers=auth, params={"q": "A\x00"})
    for answer, field in ((created, "name"), (searched, "q")):
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in answer.json()["errors"]] == [field]
    listed = await client.get("/api/customers", headers=auth)
    assert [c["name"] for c in listed.json()["items"]] == ["Ada"]
