"""The admin routes of staff calendars: connections made, read, changed, synced and removed;
each field checked with a problem naming it; the user name and password never shown or logged."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from tests.calendars.feeds import HTML_PAGE
from tests.calendars.ics_server import IcsServer
from tests.factories import Shop

PASSWORD = "s3cret-app-pass-91xq"
USERNAME = "sam@example.org"
PROBLEM = "application/problem+json"


@pytest.fixture
def api(local_client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The app with OUTBOUND_ALLOW_PRIVATE on (`local_client`): the feeds are local."""
    return local_client


def base(shop: Shop) -> str:
    return f"/api/staff/{shop.sam}/calendars"


async def slots(api: httpx.AsyncClient, auth: dict[str, str], shop: Shop, day: str) -> list[str]:
    answer = await api.get(
        f"/api/appointments/staff/{shop.sam}/slots", params={"start_date": day}, headers=auth
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return [s["time"] for s in (body["slots"] if isinstance(body, dict) else body)]


def assert_problem(answer: httpx.Response, status: int, field: str | None = None) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    if field is not None:
        assert [e["field"] for e in answer.json()["errors"]] == [field]


async def test_an_ics_calendar_is_connected_synced_and_removed(
    api: httpx.AsyncClient, auth: dict[str, str], shop: Shop, feed: IcsServer
) -> None:
    """A connected ICS feed, synced on request, stops its busy times being offered; its status
    shows the sync; removing it offers them again."""
    before = await slots(api, auth, shop, "2026-12-02")
    assert before
    created = await api.post(base(shop), json={"kind": "ics", "url": feed.url}, headers=auth)
    assert created.status_code == 201, created.text
    connection = created.json()
    assert connection["has_password"] is False and connection["last_synced_at"] is None

    synced = await api.post(f"{base(shop)}/{connection['id']}/sync", headers=auth)
    assert synced.status_code == 200, synced.text
    status = synced.json()
    assert status["last_error"] is None and status["busy_seen"] == 11
    assert status["last_synced_at"] is not None
    assert await slots(api, auth, shop, "2026-12-02") == []  # the all-day event

    listed = await api.get(base(shop), headers=auth)
    assert [c["id"] for c in listed.json()] == [connection["id"]]
    removed = await api.delete(f"{base(shop)}/{connection['id']}", headers=auth)
    assert removed.status_code == 204
    assert await slots(api, auth, shop, "2026-12-02") == before
    gone = await api.get(f"{base(shop)}/{connection['id']}", headers=auth)
    assert_problem(gone, 404)


async def test_a_failed_sync_is_reported_on_the_connection(
    api: httpx.AsyncClient, auth: dict[str, str], shop: Shop, feed: IcsServer
) -> None:
    """A sync that reads an HTML page answers 200 with the error and the failure count; the
    busy times of the last good sync still count."""
    created = await api.post(base(shop), json={"kind": "ics", "url": feed.url}, headers=auth)
    connection_id = created.json()["id"]
    await api.post(f"{base(shop)}/{connection_id}/sync", headers=auth)
    feed.body, feed.content_type = HTML_PAGE, "text/html"
    answer = await api.post(f"{base(shop)}/{connection_id}/sync", headers=auth)
    assert answer.status_code == 200
    assert "HTML page" in answer.json()["last_error"] and answer.json()["failures"] == 1
    assert answer.json()["busy_seen"] == 11
    assert await slots(api, auth, shop, "2026-12-02") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "caldav", "url": "https://dav.example.com/", "username": USERNAME}, "password"),
        ({"kind": "caldav", "url": "https://dav.example.com/", "password": PASSWORD}, "username"),
        ({"kind": "ics", "url": "https://x.example/a.ics", "write_calendar": "work"},
         "write_calendar"),
        ({"kind": "ics", "url": "https://x.example/a.ics", "read_calendars": ["a"]},
         "read_calendars"),
        ({"kind": "ics", "url": "ftp://x.example/a.ics"}, "url"),
        ({"kind": "ics", "url": "https://sam:pw@x.example/a.ics"}, "url"),
        ({"kind": "outlook", "url": "https://x.example/a.ics"}, "kind"),
        ({"kind": "ics"}, "url"),
    ],
)  # fmt: skip
async def test_a_connection_with_a_wrong_field_is_refused_naming_it(
    api: httpx.AsyncClient, auth: dict[str, str], shop: Shop, body: dict[str, Any], field: str
) -> None:
    """A CalDAV account needs its login; an ICS address takes no calendars to read or write;
    the address is http(s) without credentials in it; nothing is stored."""
    answer = await api.post(base(shop), json=body, headers=auth)
    assert_problem(answer, 422, field)
    assert (await api.get(base(shop), headers=auth)).json() == []


async def test_a_change_is_checked_whole_and_unknown_ids_are_not_found(
    api: httpx.AsyncClient, auth: dict[str, str], shop: Shop, feed: IcsServer
) -> None:
    """Switching an ICS connection to CalDAV without a login is refused naming both fields; a
    change that is whole is kept; another staff member's connection and an unknown staff
    member are 404."""
    created = await api.post(base(shop), json={"kind": "ics", "url": feed.url}, headers=auth)
    url = f"{base(shop)}/{created.json()['id']}"
    refused = await api.patch(url, json={"kind": "caldav"}, headers=auth)
    assert_problem(refused, 422)
    assert [e["field"] for e in refused.json()["errors"]] == ["username", "password"]
    changed = await api.patch(
        url,
        json={"kind": "caldav", "username": USERNAME, "password": PASSWORD, "name": "Work"},
        headers=auth,
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["kind"] == "caldav" and changed.json()["has_password"] is True
    assert changed.json()["name"] == "Work"
    other = f"/api/staff/{shop.alex}/calendars/{created.json()['id']}"
    assert_problem(await api.get(other, headers=auth), 404)
    assert_problem(await api.get("/api/staff/999999/calendars", headers=auth), 404)


async def test_the_login_is_never_shown_nor_logged(
    api: httpx.AsyncClient,
    auth: dict[str, str],
    shop: Shop,
    feed: IcsServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Creating, listing, reading, changing and syncing a connection with a user name and
    password never puts either into a response body or a log line."""
    caplog.set_level(logging.DEBUG)
    answers = []
    with capture_logs() as events:
        created = await api.post(
            base(shop),
            json={"kind": "ics", "url": feed.url, "username": USERNAME, "password": PASSWORD},
            headers=auth,
        )
        connection_url = f"{base(shop)}/{created.json()['id']}"
        answers += [
            created,
            await api.get(base(shop), headers=auth),
            await api.get(connection_url, headers=auth),
            await api.patch(connection_url, json={"password": PASSWORD + "2"}, headers=auth),
            await api.post(f"{connection_url}/sync", headers=auth),
            await api.post(base(shop), json={"kind": "caldav", "url": "ftp://x",
                                             "username": USERNAME, "password": PASSWORD},
                           headers=auth),
        ]  # fmt: skip
    assert [a.status_code for a in answers] == [201, 200, 200, 200, 200, 422]
    assert answers[0].json()["has_password"] is True
    for answer in answers:
        assert PASSWORD not in answer.text and USERNAME not in answer.text
    logged = repr(events) + caplog.text
    assert PASSWORD not in logged and USERNAME not in logged
    assert any(e.get("event") == "calendar synced" for e in events)


async def test_a_secret_ics_address_is_never_read_back_whole(
    api: httpx.AsyncClient,
    auth: dict[str, str],
    shop: Shop,
    feed: IcsServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A calendar's secret address (Google's `private-...` path) is the key to that calendar:
    once saved, responses show only its host and file name, and no log line holds it, while the
    feed it names is still the one synced. (Libraries log at WARNING and above, as
    `configure_logging` sets them; every line of ours is captured.)"""
    caplog.set_level(logging.WARNING)
    origin = feed.url.removesuffix("/calendar.ics")
    secret_url = f"{origin}/calendar/ical/sam%40example.org/private-{PASSWORD}/basic.ics"
    with capture_logs() as events:
        created = await api.post(base(shop), json={"kind": "ics", "url": secret_url}, headers=auth)
        connection_url = f"{base(shop)}/{created.json()['id']}"
        synced = await api.post(f"{connection_url}/sync", headers=auth)
        answers = [created, synced, await api.get(base(shop), headers=auth)]
    assert [a.status_code for a in answers] == [201, 200, 200]
    assert created.json()["url"] == f"{origin}/…/basic.ics"
    assert synced.json()["last_error"] is None and synced.json()["busy_seen"] > 0
    for answer in answers:
        assert PASSWORD not in answer.text
    assert PASSWORD not in repr(events) + caplog.text


async def test_a_staff_token_cannot_touch_calendars(
    api: httpx.AsyncClient, auth: dict[str, str], shop: Shop
) -> None:
    """Calendar connections hold credentials and decide where the server connects: a staff
    token is refused with 403."""
    issued = await api.post("/api/tokens", json={"name": "desk"}, headers=auth)
    desk = {"Authorization": f"Bearer {issued.json()['secret']}"}
    assert_problem(await api.get(base(shop), headers=desk), 403)
    body = {"kind": "ics", "url": "https://x.example/a.ics"}
    assert_problem(await api.post(base(shop), json=body, headers=desk), 403)


async def test_turning_a_calendar_off_frees_its_times_at_once(
    api: httpx.AsyncClient, auth: dict[str, str], shop: Shop, feed: IcsServer
) -> None:
    """A connection turned off stops blocking its busy times at once and cannot be synced
    (422 naming active); turned on again, it is due for a sync straight away."""
    before = await slots(api, auth, shop, "2026-12-02")
    created = await api.post(base(shop), json={"kind": "ics", "url": feed.url}, headers=auth)
    url = f"{base(shop)}/{created.json()['id']}"
    await api.post(f"{url}/sync", headers=auth)
    assert await slots(api, auth, shop, "2026-12-02") == []

    off = await api.patch(url, json={"active": False}, headers=auth)
    assert off.status_code == 200 and off.json()["busy_seen"] == 0
    assert await slots(api, auth, shop, "2026-12-02") == before
    assert_problem(await api.post(f"{url}/sync", headers=auth), 422, "active")

    on = await api.patch(url, json={"active": True}, headers=auth)
    assert (
        on.json()["active"] is True and on.json()["next_sync_at"] == created.json()["next_sync_at"]
    )
    synced = await api.post(f"{url}/sync", headers=auth)
    assert synced.json()["busy_seen"] == 11
    assert await slots(api, auth, shop, "2026-12-02") == []
