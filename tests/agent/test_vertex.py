"""The same agent on Vertex AI: the production factory with a service account, against the
local stand-in serving Vertex's websocket path (no Google sign-in: injected credentials)."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import google.auth.credentials
from sqlalchemy import select

from booking.agent.bridge import ServiceBridge
from booking.agent.call import CallRuntime
from booking.agent.model import gemini_factory
from booking.models import Appointment, AppointmentStatus
from tests.agent.conftest import start_call
from tests.agent.conftest import test_settings as call_settings  # not collected as a test
from tests.agent.promises import audit_promises
from tests.agent.scripted import tool
from tests.conftest import NOW


class StaticCredentials(google.auth.credentials.Credentials):  # type: ignore[misc]
    """A service account stand-in: a fixed access token, never refreshed over the network."""

    def __init__(self) -> None:
        super().__init__()
        self.token = "vertex-test-token"

    def refresh(self, request: Any) -> None:
        self.token = "vertex-test-token"


async def test_a_call_through_vertex_ai_books_a_row(db, shop, gemini_live, tmp_path):
    """With GOOGLE_GENAI_USE_VERTEXAI the agent connects to Vertex AI's Live endpoint with the
    service account's token and the project's model path, and a booking call stores its row."""
    key = tmp_path / "service-account.json"
    key.write_text("{}")  # the file must exist; the injected credentials stand in for it
    os.environ["SSL_CERT_FILE"] = gemini_live.ca_file
    settings = call_settings(
        google_genai_use_vertexai=True,
        google_cloud_project="harbour-dental",
        google_cloud_location="europe-west2",
        google_application_credentials=str(key),
        gemini_base_url=gemini_live.base_url,
        gemini_model=gemini_live.model,
    )
    runtime = CallRuntime(
        db=db,
        bridge=ServiceBridge(asyncio.get_running_loop(), 5.0),
        settings=settings,
        model_factory=gemini_factory(settings, credentials=StaticCredentials()),
        clock=lambda: NOW,
    )
    gemini_live.add(
        tool("check_availability", date="2026-12-01", staff="Sam"),
        "I have 9 AM.",
        tool("book_appointment", option_id="T1"),
        "You're booked.",
    )
    call = await start_call(runtime, gemini_live, "+12345678900")
    await call.say("Tuesday with Sam")
    await call.say("9 AM please")
    await call.hang_up()

    connection = gemini_live.current
    assert connection.path.endswith("LlmBidiService/BidiGenerateContent")
    assert "aiplatform" in connection.path
    assert connection.headers.get("authorization") == "Bearer vertex-test-token"
    assert connection.setup["model"] == (
        "projects/harbour-dental/locations/europe-west2/publishers/google/models/"
        f"{gemini_live.model}"
    )
    [stored] = list(
        await _scalars(db, select(Appointment).where(Appointment.customer_id == shop.ada))
    )
    assert stored.status == AppointmentStatus.BOOKED
    await audit_promises(db, call.state.call_id)


async def _scalars(db: Any, statement: Any) -> list[Any]:
    async with db.read() as session:
        return list(await session.scalars(statement))
