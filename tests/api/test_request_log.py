"""Issue 13, item 14: one log line per HTTP request, with its request id, route template,
status and latency, and nothing personal."""

from __future__ import annotations

import structlog
from structlog.testing import capture_logs

from booking.api import customers as customer_routes


def request_lines(logs: list[dict[str, object]]) -> list[dict[str, object]]:
    return [line for line in logs if line["event"] == "http request"]


async def test_each_request_logs_one_line_with_its_route_template(client, shop, auth):
    """A read of a customer by id and a search by phone log one line each: the route's
    template (no id), status, latency and a request id; no query string, no phone number."""
    with capture_logs() as logs:
        read = await client.get(f"/api/customers/{shop.ada}", headers=auth)
        search = await client.get("/api/customers?q=%2B12345678900", headers=auth)
    [first, second] = request_lines(logs)
    assert first["route"] == "/api/customers/{customer_id}" and first["status"] == 200
    assert second["route"] == "/api/customers" and second["status"] == 200
    for line, answer in ((first, read), (second, search)):
        assert line["method"] == "GET"
        assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
        assert line["request_id"] == answer.headers["x-request-id"]
        assert len(str(line["request_id"])) >= 16
    assert first["request_id"] != second["request_id"]
    text = repr(request_lines(logs))
    assert "12345678900" not in text and "q=" not in text and "?" not in text


async def test_errors_and_unknown_routes_are_logged_too(client, shop, auth):
    """A 401, a 422 and an unknown route each log their line with their status; an unknown
    route has no template to name, and its raw path is not logged."""
    with capture_logs() as logs:
        await client.get("/api/customers")
        await client.get("/api/availability", headers=auth)
        await client.get("/api/customers-by-phone/+12345678900", headers=auth)
    lines = request_lines(logs)
    assert [(line["route"], line["status"]) for line in lines] == [
        ("/api/customers", 401),
        ("/api/availability", 422),
        (None, 404),
    ]
    assert "12345678900" not in repr(lines)


async def test_lines_logged_during_a_request_carry_its_id(client, shop, auth, monkeypatch):
    """While a request is served its id is bound for every line logged (structlog's context),
    and a client's own well-formed X-Request-ID is kept."""
    seen: list[dict[str, object]] = []
    original = customer_routes.customers.get_customer

    async def get_customer_noting_context(*args: object, **kwargs: object) -> object:
        seen.append(dict(structlog.contextvars.get_contextvars()))
        return await original(*args, **kwargs)

    monkeypatch.setattr(customer_routes.customers, "get_customer", get_customer_noting_context)
    answer = await client.get(
        f"/api/customers/{shop.ada}", headers={**auth, "X-Request-ID": "front-desk-0001"}
    )
    assert answer.status_code == 200 and answer.headers["x-request-id"] == "front-desk-0001"
    assert seen == [{"request_id": "front-desk-0001"}]
