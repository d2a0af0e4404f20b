"""The `on_affected` query parameter of every schedule change (see services/stranding)."""

from __future__ import annotations

from typing import Annotated

from litestar.params import Parameter

from booking.services.stranding import OnStranded

OnAffected = Annotated[
    OnStranded,
    Parameter(
        description=(
            "What to do with future appointments the change would leave outside the schedule: "
            "refuse (409 listing them, the default), cancel (customers are told) or keep "
            "(they stay booked, flagged outside_hours)"
        )
    ),
]
