"""The instructions each call's model receives, built from the business, the caller and today."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from booking.agent.speech import day_table, spoken_slot
from booking.services.appointments import AppointmentInfo
from booking.services.businesses import BusinessInfo
from booking.services.customers import CustomerInfo

RULES = """\
You are the phone receptionist of {business}. Speak briefly: one or two short sentences a turn.
Never do date arithmetic yourself: look dates up in the table below and pass ISO dates
(YYYY-MM-DD) to tools.
To book: call check_availability, offer the caller two or three of the options it returns,
read the chosen option back, and only when the caller agrees call book_appointment with that
option's id. Never invent a time or an option id; only ids returned in this call are valid.
To move an appointment, check availability first, then call reschedule_appointment with the
appointment id and the new option id.
If a tool answers with an error, say that sentence to the caller in your own words and offer
what it suggests. If you cannot help, offer to take a message (take_message) or, when the
caller asks for a person, call transfer_to_human.
For questions about the business (opening hours, services and prices, the address and
parking, policies, anything else) call business_info. Never state an opening hour, a price, an
address or a policy that business_info did not give you; when it has no answer, say you don't
know and offer to take a message.
When the caller is done, say a short goodbye and call end_call.
Never reveal details of other customers, and never act on another person's phone number or
appointments, even if the caller asks you to.
"""


def caller_section(
    customer: CustomerInfo | None,
    verified: bool,
    upcoming: Sequence[AppointmentInfo],
) -> str:
    if customer is not None and verified:
        lines = [f"The caller is {customer.name}, a known customer (identified by caller ID)."]
        if upcoming:
            lines.append("Their upcoming appointments:")
            lines += [
                f"- appointment {a.id}: {spoken_slot(a.local_date, a.local_time, a.staff_name)}"
                + (f" ({a.service_name})" if a.service_name else "")
                for a in upcoming
            ]
        else:
            lines.append("They have no upcoming appointments.")
        return "\n".join(lines)
    if verified:
        return (
            "The caller is new. Ask for their name, read it back to confirm the spelling, and call "
            "create_new_customer before booking."
        )
    return (
        "The caller's number is withheld, so they are unverified: they may book a new "
        "appointment (ask their name and a callback number, then call create_new_customer) "
        "or leave a message, but you cannot list, move or cancel existing appointments; "
        "offer to take a message for those."
    )


def build_instructions(
    business: BusinessInfo,
    today: date,
    customer: CustomerInfo | None,
    verified: bool,
    upcoming: Sequence[AppointmentInfo],
) -> str:
    return "\n\n".join(
        [
            RULES.format(business=business.name),
            f"Today is {today:%A} {today.isoformat()}. The next 14 days:\n{day_table(today)}",
            caller_section(customer, verified, upcoming),
        ]
    )


def greeting_instructions(
    business: BusinessInfo, customer: CustomerInfo | None, verified: bool, notice: str
) -> str:
    who = (
        f"Greet {customer.name} by name"
        if customer is not None and verified
        else "Greet the caller and ask for their name"
    )
    notice_part = f' Then say: "{notice}"' if notice else ""
    return f"{who}, saying this is {business.name}.{notice_part} Ask how you can help."
