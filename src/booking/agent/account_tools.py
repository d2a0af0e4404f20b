"""The receptionist's tools for the caller's own account: saving a new caller, listing and
cancelling their appointments. Existing appointments are only shown or changed for a caller
whose number caller ID gave."""

from __future__ import annotations

from dataclasses import replace

from livekit.agents import RunContext, ToolError

from booking import errors
from booking.agent.speech import spoken_slot
from booking.agent.state import CallState
from booking.agent.tool_arguments import checked_tool
from booking.agent.tool_base import BAD_NUMBER, ToolBase, check_id, describe
from booking.models import CallOutcome
from booking.services import appointments, calls, customers, sms_texts
from booking.services.phones import normalize_phone


class AccountTools(ToolBase):
    @checked_tool
    async def create_new_customer(
        self,
        context: RunContext[CallState],
        name: str,
        phone_number: str | None = None,
        email: str | None = None,
        email_consent: bool = False,
        sms_consent: bool = False,
    ) -> str:
        """Save a new caller's name so they can book. Read the name back to the caller first.
        After a booking, ask once whether they want a text confirmation and reminder; if they
        say yes, call this again with sms_consent true (also for a caller already on file).

        Args:
            name: The caller's full name as they gave it.
            phone_number: Only when the caller's number is withheld: the callback number they
                say. Ignored when caller ID is known.
            email: Only when the caller gave an email address and said yes to an email
                confirmation: the address, spelled back to them first. Otherwise leave empty.
            email_consent: True only when the caller gave an email address and said yes to an
                email confirmation; otherwise false.
            sms_consent: True only when the caller said yes to confirmations and reminders by
                text message to the number they are calling from; otherwise false.
        """

        async def work() -> str:
            state = self.state
            texts = bool(sms_consent and state.verified)
            if state.customer is not None:
                if not sms_consent:
                    return f"The caller is already on file as {state.customer.name}."
                if not texts or state.customer.phone != state.caller_number:
                    return "Texts go only to the number the caller is calling from; none set up."
                context.disallow_interruptions()
                await self._service(
                    sms_texts.consent_given(
                        state.db, state.business.id, state.customer.id, state.clock()
                    ),
                    write=True,
                )
                return "Text confirmations and reminders are on; a confirmation is on its way."
            if state.verified:
                phone = state.caller_number
            elif phone_number:
                try:
                    phone = normalize_phone(phone_number, state.business.default_region)
                except errors.InvalidInput:
                    raise ToolError(BAD_NUMBER) from None
            else:
                raise ToolError("Ask the caller for a callback number first.")
            assert phone is not None
            address = (email or "").strip() or None
            context.disallow_interruptions()
            try:
                customer = await self._service(
                    customers.create_customer(
                        state.db,
                        state.business.id,
                        phone=phone,
                        name=name,
                        email=address,
                        email_consent=bool(email_consent and address),
                        sms_consent=texts,
                    ),
                    write=True,
                )
            except errors.DuplicateCustomer as exc:
                # A number given by voice that is on file: book under it, reveal nothing. The
                # stored name stays out of this call: the caller is known by the name they gave.
                customer = await self._service(
                    customers.get_customer(state.db, state.business.id, exc.customer_id)
                )
                given = " ".join(name.split())[:200] or "the caller"
                state.customer = replace(customer, name=given, email=None, notes="")
                # The call log shows whose number this call booked under (admins only).
                await self._service(
                    calls.set_customer(state.db, state.call_id, customer.id), write=True
                )
                return "Thank you, I have the details."
            state.customer = customer
            await self._service(
                calls.set_customer(state.db, state.call_id, customer.id), write=True
            )
            return f"Saved {customer.name} as a new customer."

        return await self._run(
            "create_new_customer",
            {
                "name": name,
                "phone_number": phone_number,
                "email": email,
                "email_consent": email_consent,
                "sms_consent": sms_consent,
            },
            work,
        )

    @checked_tool
    async def list_my_appointments(self, context: RunContext[CallState]) -> str:
        """List the caller's upcoming appointments, with their appointment numbers."""

        async def work() -> str:
            customer_id = self._require_verified()
            upcoming = await self._service(
                appointments.list_upcoming(
                    self.state.db, self.state.business.id, customer_id, now=self.state.clock()
                )
            )
            if not upcoming:
                return "The caller has no upcoming appointments."
            listing = "\n".join(describe(a) for a in upcoming)
            self.state.remember("The caller's upcoming appointments were listed: " + listing)
            return listing

        return await self._run("list_my_appointments", {}, work)

    @checked_tool
    async def cancel_appointment(self, context: RunContext[CallState], appointment_id: int) -> str:
        """Cancel one of the caller's appointments after they confirm.

        Args:
            appointment_id: The appointment number, from list_my_appointments.
        """

        async def work() -> str:
            state = self.state
            customer_id = self._require_verified()
            check_id(appointment_id)
            context.disallow_interruptions()
            cancelled = await self._service(
                appointments.cancel(
                    state.db,
                    state.business.id,
                    appointment_id,
                    customer_id=customer_id,
                    enforce_cutoff=True,
                    now=state.clock(),
                ),
                write=True,
            )
            state.note(CallOutcome.CANCELLED)
            when = spoken_slot(cancelled.local_date, cancelled.local_time, cancelled.staff_name)
            answer = f"Cancelled appointment {cancelled.id} on {when}."
            state.remember(answer)
            return answer

        return await self._run("cancel_appointment", {"appointment_id": appointment_id}, work)
