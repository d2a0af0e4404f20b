"""The Litestar application factory: routes, the token guard, problem details, OpenAPI."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from litestar import Litestar, Router
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from booking import __version__
from booking.api.appointments import AppointmentController
from booking.api.auth import require_token
from booking.api.availability import AvailabilityController
from booking.api.business import BusinessController
from booking.api.catalogue import ServiceController
from booking.api.customers import CustomerController
from booking.api.health import health
from booking.api.problems import problem_details_plugin
from booking.api.staff import StaffController
from booking.db import Database
from booking.models import utcnow


@dataclass
class Lifecycle:
    """What `/health` reports besides the database: draining, and whether the agent runs."""

    status: str = "ok"
    agent: str = "disabled"


def create_app(
    db: Database,
    *,
    max_body_bytes: int = 64 * 1024,
    lifecycle: Lifecycle | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Litestar:
    api = Router(
        path="/api",
        route_handlers=[
            BusinessController,
            StaffController,
            ServiceController,
            CustomerController,
            AppointmentController,
            AvailabilityController,
        ],
        guards=[require_token],
        security=[{"bearer": []}],
    )
    app = Litestar(
        route_handlers=[health, api],
        plugins=[problem_details_plugin()],
        request_max_body_size=max_body_bytes,
        openapi_config=OpenAPIConfig(
            title="booking",
            version=__version__,
            description="Admin API of the booking phone receptionist.",
            components=Components(
                security_schemes={
                    "bearer": SecurityScheme(type="http", scheme="bearer", bearer_format="bk_…")
                }
            ),
            render_plugins=[SwaggerRenderPlugin()],
        ),
        debug=False,
    )
    app.state.db = db
    app.state.lifecycle = lifecycle or Lifecycle()
    app.state.clock = clock
    return app
