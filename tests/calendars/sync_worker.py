"""A separate OS process running the calendar sync worker on a shared database until killed:
`python -m tests.calendars.sync_worker '{"url": ..., "interval_seconds": 2}'`. It prints
"ready" once its database answers."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta

from booking.db import Database
from booking.logging import configure_logging
from booking.services.calendar_sync import SyncSettings, sync_forever


async def main(config: dict[str, object]) -> None:
    configure_logging("warning", "json")
    db = Database.from_url(str(config["url"]))
    async with db.read():
        pass
    sys.stdout.write('"ready"\n')
    sys.stdout.flush()
    settings = SyncSettings(
        interval=timedelta(seconds=float(str(config["interval_seconds"]))),
        timeout_seconds=5.0,
        allow_private=True,  # the feeds are on loopback
    )
    try:
        await sync_forever(db, settings, poll_seconds=0.1)
    finally:
        await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
