"""The owner's web page at /admin: server-rendered pages (Jinja, htmx) over the same service
functions as the API, signed in with a session cookie; `router.py` says how to add a page."""
