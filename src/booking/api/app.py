"""The Litestar application factory: routes, the token guard, problem details, OpenAPI."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar import Litestar, Request, Response, Router, get
from litestar.enums import MediaType
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.static_files import create_static_files_router
from swagger_ui_bundle import swagger_ui_path

from booking import __version__
from booking import metrics as _product_metrics  # noqa: F401  (registers the counters)
from booking.api.admin_sessions import AdminSessionController
from booking.api.appointments import AppointmentController
from booking.api.auth import require_owner, require_token
from booking.api.availability import AvailabilityController
from booking.api.block_list import BlockListController
from booking.api.business import BusinessController
from booking.api.calendar_feed import CalendarFeedController, calendar_feed
from booking.api.calendar_writes import CalendarWritesController
from booking.api.calendars import CalendarController
from booking.api.calls import CallController, MessageController
from booking.api.catalogue import ServiceController
from booking.api.customers import CustomerController
from booking.api.emails import CustomerEmailsController
from booking.api.health import health
from booking.api.knowledge import KnowledgeController
from booking.api.media_type import require_json_body
from booking.api.problems import ProblemResponses, problem_details_plugin
from booking.api.request_log import RequestLog
from booking.api.sms import CustomerTextsController, SmsKeys, telnyx_webhook, twilio_webhook
from booking.api.staff import StaffController
from booking.api.throttle import FailedAuthThrottle
from booking.api.tokens import TokenController
from booking.api.webhooks import WebhookController
from booking.db import Database
from booking.errors import NotFound
from booking.lifecycle import Lifecycle
from booking.models import MAX_ID, utcnow
from booking.services.calendar_sync import SyncSettings
from booking.web.headers import admin_security_headers
from booking.web.render import template_config
from booking.web.router import admin_router

# HTTP latency by route template (never the raw path: no ids or phone numbers in labels).
PROMETHEUS = PrometheusConfig(
    app_name="booking", prefix="booking", group_path=True, exclude=["/metrics"]
)


class MetricsController(PrometheusController):
    """`GET /metrics`: open, Prometheus text format, no personal data. The product's own
    counters (`booking.metrics`) are registered on import, so they show before first use."""

    path = "/metrics"

    # Redeclared only so the OpenAPI document says text/plain, as the response does.
    @get(media_type=MediaType.TEXT, summary="Prometheus metrics", tags=["health"])
    async def get(self) -> Response[bytes]:
        scrape = PrometheusController.get.fn  # the base handler's undecorated function
        response: Response[bytes] = await scrape(self)
        return response


async def reject_impossible_ids(request: Request[Any, Any, Any]) -> None:
    """An id no row can have (beyond the database's integer range) is simply not found."""
    for value in request.path_params.values():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            raise NotFound("resource", value)


async def check_request(request: Request[Any, Any, Any]) -> None:
    """Refusals due before a body or parameter is read: impossible ids, non-JSON bodies."""
    await reject_impossible_ids(request)
    require_json_body(request)


# Swagger UI's own files, from the swagger-ui-bundle-v2 package: the docs page loads nothing
# from the internet, so it works on a box without it.
DOCS_ASSETS = "/schema/assets"
DOCS_FILES = create_static_files_router(
    path=DOCS_ASSETS, directories=[swagger_ui_path], name="docs_assets", include_in_schema=False
)


def swagger_page() -> SwaggerRenderPlugin:
    return SwaggerRenderPlugin(
        js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
        css_url=f"{DOCS_ASSETS}/swagger-ui.css",
        standalone_preset_js_url=f"{DOCS_ASSETS}/swagger-ui-standalone-preset.js",
        favicon=f"<link rel='icon' type='image/png' href='{DOCS_ASSETS}/favicon-32x32.png'>",
    )


def create_app(
    db: Database,
    *,
    max_body_bytes: int = 64 * 1024,
    lifecycle: Lifecycle | None = None,
    clock: Callable[[], datetime] = utcnow,
    sms: SmsKeys | None = None,
    outbound_allow_private: bool = False,
    calendar_sync: SyncSettings | None = None,
) -> Litestar:
    api = Router(
        path="/api",
        route_handlers=[
            BusinessController,
            BlockListController,
            KnowledgeController,
            StaffController,
            CalendarController,
            CalendarWritesController,
            ServiceController,
            CustomerController,
            CustomerTextsController,
            CustomerEmailsController,
            AppointmentController,
            AvailabilityController,
            TokenController,
            AdminSessionController,
            CallController,
            MessageController,
            CalendarFeedController,
            WebhookController,
        ],
        guards=[require_token],
        security=[{"bearer": []}],
    )
    app = Litestar(
        route_handlers=[
            health,
            MetricsController,
            api,
            calendar_feed,
            twilio_webhook,
            telnyx_webhook,
            DOCS_FILES,
            admin_router(),  # the owner's web page: HTML, session cookie, CSRF, its own errors
        ],
        plugins=[
            problem_details_plugin(),
            ProblemResponses(guard=require_token, owner_guard=require_owner),
        ],
        middleware=[PROMETHEUS.middleware],
        before_request=check_request,  # /admin has its own (forms are not JSON)
        before_send=[admin_security_headers],  # CSP, nosniff, no-store... on /admin
        template_config=template_config(),
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
            render_plugins=[swagger_page()],
        ),
        debug=False,
        # Litestar's default logging config sets the root logger to INFO with a plain-text
        # handler of its own; its lines go through ours (`booking.logging`) instead.
        logging_config=None,
    )
    # Outermost, around routing and error handling: unknown routes and failures are logged too.
    app.asgi_handler = RequestLog(app.asgi_handler)
    app.state.db = db
    app.state.lifecycle = lifecycle or Lifecycle()
    app.state.clock = clock
    app.state.sms = sms
    app.state.outbound_allow_private = outbound_allow_private
    app.state.calendar_sync = calendar_sync or SyncSettings()
    app.state.auth_throttle = FailedAuthThrottle()
    return app
