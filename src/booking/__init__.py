"""booking: a self-hosted phone receptionist and its admin API, in one process."""

__version__ = "0.1.0"
