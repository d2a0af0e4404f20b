"""The admin HTTP API (Litestar): thin controllers over `booking.services`."""
