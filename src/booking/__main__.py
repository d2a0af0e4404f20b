"""Allow `python -m booking`."""

from booking.cli import main

raise SystemExit(main())
