"""The HTTP server under the tests' fake repositories and sites: a free port on a loopback
address, served by a thread; what each request gets is the owner's `handle`."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handle = Callable[[BaseHTTPRequestHandler], None]


class LoopbackServer:
    """Answers GET (and HEAD, with `head`) by calling `handle(request)`; `send` writes the
    answer. `quiet` silences the errors of clients that gave up (a timeout test)."""

    def __init__(self, handle: Handle, host: str = "127.0.0.1", *, head: bool = False,
                 quiet: bool = False) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                handle(self)

            if head:
                def do_HEAD(self) -> None:  # noqa: N802
                    handle(self)

            def log_message(self, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            def handle_error(self, request: Any, client_address: Any) -> None:
                if not quiet:
                    super().handle_error(request, client_address)

        self.httpd = Server((host, 0), Handler)
        self.host = host
        self.port = self.httpd.server_port
        self.url = f"http://{host}:{self.port}"
        # A short poll interval: stop() waits for it, and every test stops its servers.
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05},
                         daemon=True).start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def send(request: BaseHTTPRequestHandler, status: int, headers: Mapping[str, str],
         body: bytes, *, with_body: bool = True) -> None:
    """Write an answer: status, headers, Content-Length, and the body unless `with_body` is
    off (a HEAD)."""
    request.send_response(status)
    for key, value in headers.items():
        request.send_header(key, value)
    request.send_header("Content-Length", str(len(body)))
    request.end_headers()
    if with_body:
        request.wfile.write(body)
