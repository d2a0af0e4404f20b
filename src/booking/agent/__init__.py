"""The phone receptionist: a LiveKit Agent whose tools call `booking.services` in-process."""
