"""Customer routes kept from the seed: look up by phone, create."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from booking.api.auth import same_business
from booking.api.schemas import CustomerCreate, CustomerLookup, CustomerOut
from booking.api.state import business_id, database
from booking.errors import NotFound
from booking.services import customers


class CustomerController(Controller):
    path = "/customers"
    tags = ["customers"]

    @post("/lookup", status_code=HTTP_200_OK, summary="Find a customer by phone, any format")
    async def lookup(self, request: Request[Any, Any, Any], data: CustomerLookup) -> CustomerOut:
        owner = same_business(business_id(request), data.business_id)
        found = await customers.find_by_phone(database(request), owner, data.phone)
        if found is None:
            raise NotFound("customer", "with that phone number")
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
        )
        return CustomerOut.of(created)
