"""A local HTTP server that answers every GET and PROPFIND the way a hostile or broken
calendar server might: dripping its headers or its body a byte at a time, sending more than
any cap, a gzip bomb, an XML entity bomb, a web page (a login form), or (to any method) a
success whose body never ends, or a redirect to the cloud's metadata address. It notes when
the client hung up.

    with HostileServer.start("drip") as server:
        server.url                 # http://127.0.0.1:<port>/dav/
        server.hung_up.wait(5)     # set once writing to the client failed

    HostileServer.start("login-page", tls=context)  # over https with the context's cert
"""

from __future__ import annotations

import gzip
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

BIG = 20 * 1024 * 1024  # what "huge" and the gzip bomb decode to
METADATA = "http://169.254.169.254/latest/meta-data/"
LOGIN_PAGE = b"<!DOCTYPE html><html><body><form>Log in to Cloud: secret-login-page</form></html>"
GZIP_BOMB = gzip.compress(b"BEGIN:VCALENDAR\r\n" + b"\0" * BIG, 9)  # made once: about 20 KB


def xml_bomb() -> bytes:
    entities = (
        '<!ENTITY a0 "'
        + "x" * 64
        + '">'
        + "".join(f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    )
    return (
        f'<?xml version="1.0"?><!DOCTYPE d:multistatus [{entities}]>'
        '<d:multistatus xmlns:d="DAV:"><d:response><d:href>&a9;</d:href></d:response>'
        "</d:multistatus>"
    ).encode()


@dataclass
class HostileServer:
    mode: str
    url: str = ""
    hung_up: threading.Event = field(default_factory=threading.Event)

    @classmethod
    @contextmanager
    def start(cls, mode: str, tls: ssl.SSLContext | None = None) -> Iterator[HostileServer]:
        server_state = cls(mode)

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                try:
                    self._send(server_state.mode)
                except (BrokenPipeError, ConnectionResetError):
                    server_state.hung_up.set()

            def _send(self, mode: str) -> None:
                if mode == "to-metadata":
                    self.send_response(307)
                    self.send_header("Location", METADATA)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                kind = "text/calendar" if self.command == "GET" else "application/xml"
                self.send_response(207 if self.command == "PROPFIND" else 200)
                if mode == "header-drip":
                    self.flush_headers()  # the status line, then a header that never ends
                    self.wfile.write(b"X-Slow: ")
                    for _ in range(10**6):
                        time.sleep(0.1)
                        self.wfile.write(b"a")
                        self.wfile.flush()
                if mode == "endless":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    block = b"x" * 65536
                    while True:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                if mode != "login-page":
                    self.send_header("Content-Type", kind)
                if mode == "drip":
                    self.send_header("Content-Length", str(10**6))
                    self.end_headers()
                    self.wfile.write(b"BEGIN:VCALENDAR\r\n" if self.command == "GET" else b"<")
                    for _ in range(10**6):
                        time.sleep(0.1)
                        self.wfile.write(b"x")
                        self.wfile.flush()
                elif mode == "huge":
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    block = b"x" * 65536
                    for _ in range(BIG // len(block)):
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                    self.wfile.write(b"0\r\n\r\n")
                elif mode == "gzip":
                    body = GZIP_BOMB
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif mode == "login-page":
                    body = LOGIN_PAGE
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                elif mode == "xml-bomb":
                    body = xml_bomb()
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                self.wfile.flush()

            do_GET = do_PROPFIND = do_REPORT = do_OPTIONS = _answer
            do_PUT = do_POST = do_DELETE = _answer

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        scheme = "http"
        if tls is not None:
            server.socket = tls.wrap_socket(server.socket, server_side=True)
            scheme = "https"
        server_state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}/dav/"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield server_state
        finally:
            server.shutdown()
            server.server_close()
