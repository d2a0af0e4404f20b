"""The /admin Router: every page of the owner's web page, its guard, CSRF and error pages.

How to add a page:

1. Write a module `booking/web/<name>.py` with a `Controller` whose handlers are as thin as
   the API's: read the form (`booking.web.forms.read_form`), call a service function with
   `current_business(request)` (every id in a URL is looked up within that business, so
   another business's id is a 404), and answer `page(request, "<name>.html", ...)` or, for an
   htmx swap, `fragment(...)` (both in `booking.web.render`).
2. Give it `nav = NavEntry("Label", "/path")` (owner-only pages: `owner_only=True` and
   `guards=[require_owner]`) and it gets its link in the bar, in the order of `nav.ORDER`.
3. Append the controller to `PAGES` below; templates go in `web/templates/` and extend
   `base.html` (see `_forms.html` for fields that show their errors).

Every handler here needs a signed-in session (`opt=PUBLIC` opts out) and every POST a CSRF
token (`{{ csrf_input | safe }}` in a form; htmx sends the header from base.html). Errors are
answered by `errors.error_page`, never a stack trace.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Router, get
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Response, Template
from litestar.static_files import create_static_files_router

from booking.api.plain_errors import NotFoundBy
from booking.errors import NotFound
from booking.models import MAX_ID
from booking.web.appointments import AppointmentController
from booking.web.book import TodayController, WeekController
from booking.web.calls import CallPages
from booking.web.csrf import AdminCsrf
from booking.web.customers import CustomerPages
from booking.web.errors import HTML_ERRORS
from booking.web.messages import MessagePages
from booking.web.nav import nav_of
from booking.web.new_booking import NewBookingController
from booking.web.render import STATIC, nav_for, page
from booking.web.session import PUBLIC, SessionController, require_session
from booking.web.setup_pages import SETUP_PAGES

# The pages with a place in the navigation bar, in any order (the bar sorts them).
PAGES: list[type[Controller]] = [
    TodayController,
    WeekController,
    NewBookingController,
    AppointmentController,  # no entry in the bar: reached from Today and Week
    CallPages,
    MessagePages,
    CustomerPages,
    *SETUP_PAGES,
]


class HomeController(Controller):
    path = "/"

    @get("/")
    async def home(self, request: Request[Any, Any, Any]) -> Response[Any] | Template:
        """The first page of the bar (Today), or a plain welcome while there is none."""
        nav = nav_for(request)  # the entries this session may follow
        if nav:
            return Redirect(nav[0].href, status_code=303)
        return page(request, "home.html")

    @get("/{rest:path}")
    async def unknown(self, rest: str) -> None:
        """A path no page answers: the HTML error page, not the API's JSON."""
        raise NotFoundBy("page", "no page of this site is at that address")


async def reject_impossible_ids(request: Request[Any, Any, Any]) -> None:
    """As on the API: an id beyond the database's integer range names nothing. (It also stands
    in for the API's JSON-body check, which forms must not meet.)"""
    for value in request.path_params.values():
        if isinstance(value, int) and not 0 < value <= MAX_ID:
            raise NotFound("resource", value)


def admin_router() -> Router:
    """The /admin Router, built when the app is: PAGES as they are at that moment."""
    static = create_static_files_router(
        path="/static",
        directories=[STATIC],
        name="admin_static",
        opt=PUBLIC,
        include_in_schema=False,
        cache_control=None,
    )
    return Router(
        path="/admin",
        route_handlers=[SessionController, HomeController, *PAGES, static],
        guards=[require_session],
        middleware=[AdminCsrf],
        exception_handlers=HTML_ERRORS,
        request_class=HTMXRequest,
        before_request=reject_impossible_ids,
        opt={"nav": nav_of(PAGES)},
        include_in_schema=False,
    )
