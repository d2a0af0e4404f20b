"""Customers: the seed's lookup and create, plus search, read, update and erasure."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, delete, get, patch, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from booking.api.admin_schemas import CustomerDetailOut, CustomerUpdate, PageOut
from booking.api.auth import same_business
from booking.api.plain_errors import NotFoundBy
from booking.api.schemas import AppointmentOut, CustomerCreate, CustomerLookup, CustomerOut
from booking.api.state import business_id, database, now
from booking.services import customers
from booking.services.appointment_queries import list_appointments
from booking.services.customer_directory import search_customers
from booking.services.erasure import erase_customer
from booking.services.pagination import PageRequest


class CustomerController(Controller):
    path = "/customers"
    tags = ["customers"]

    @post("/lookup", status_code=HTTP_200_OK, summary="Find a customer by phone, any format")
    async def lookup(self, request: Request[Any, Any, Any], data: CustomerLookup) -> CustomerOut:
        owner = same_business(business_id(request), data.business_id)
        found = await customers.find_by_phone(database(request), owner, data.phone)
        if found is None:
            raise NotFoundBy("customer", "no customer with that phone number")
        return CustomerOut.of(found)

    @post("/", status_code=HTTP_201_CREATED, summary="Create a customer")
    async def create(self, request: Request[Any, Any, Any], data: CustomerCreate) -> CustomerOut:
        owner = same_business(business_id(request), data.business_id)
        created = await customers.create_customer(
            database(request),
            owner,
            phone=data.phone,
            name=data.name,
            email=data.email,
            notes=data.notes,
            email_consent=data.email_consent,
            sms_consent=data.sms_consent,
        )
        return CustomerOut.of(created)

    @get("/", summary="List customers; q searches names and phones in any format")
    async def list_customers(
        self,
        request: Request[Any, Any, Any],
        q: Annotated[str | None, Parameter(max_length=100, pattern=r"^[^\x00]*$")] = None,
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
        page_size: Annotated[int, Parameter(ge=1, le=200)] = 50,
    ) -> PageOut[CustomerOut]:
        found = await search_customers(
            database(request), business_id(request), q, PageRequest(page, page_size)
        )
        return PageOut[CustomerOut](
            items=[CustomerOut.of(c) for c in found.items],
            total=found.total,
            page=found.page,
            page_size=found.page_size,
        )

    @get("/{customer_id:int}", summary="Read a customer with their appointments")
    async def read(self, request: Request[Any, Any, Any], customer_id: int) -> CustomerDetailOut:
        db, owner = database(request), business_id(request)
        customer = await customers.get_customer(db, owner, customer_id)
        booked = await list_appointments(
            db, owner, customer_id=customer_id, page=PageRequest(1, 200)
        )
        return CustomerDetailOut(
            **CustomerOut.of(customer).model_dump(),
            appointments=[AppointmentOut.of(a) for a in booked.items],
        )

    @patch("/{customer_id:int}", summary="Change a customer's details")
    async def update(
        self, request: Request[Any, Any, Any], customer_id: int, data: CustomerUpdate
    ) -> CustomerOut:
        updated = await customers.update_customer(
            database(request),
            business_id(request),
            customer_id,
            now=now(request),
            **data.model_dump(exclude_unset=True),
        )
        return CustomerOut.of(updated)

    @delete("/{customer_id:int}", summary="Erase a customer on request (everything naming them)")
    async def erase(self, request: Request[Any, Any, Any], customer_id: int) -> None:
        await erase_customer(database(request), business_id(request), customer_id, now=now(request))
