"""A limit on the total time of one request, headers and body included.

requests' `timeout` bounds each socket operation, not the request: a server that sends a
byte a second never lets one read wait 5 s, and held a "5 s timeout" for 40 s. Here the
sockets a request uses in a `deadline()` block are registered by the connection classes the
`DeadlineAdapter` installs, and a timer shuts them down when the time is up; the read under
way then ends at once, and the caller sees `watch.expired`.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class Watch:
    """The sockets of one request, shut down once `seconds` have passed."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


@contextmanager
def deadline(seconds: float | None) -> Iterator[Watch | None]:
    """Within the block, this thread's requests through a DeadlineAdapter end after `seconds`
    in total (None: no limit)."""
    if seconds is None:
        yield None
        return
    watch = Watch(seconds)
    before = getattr(_current, "watch", None)
    _current.watch = watch
    watch._timer.start()
    try:
        yield watch
    finally:
        watch._timer.cancel()
        _current.watch = before


def _register(conn: Any) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None and conn.sock is not None:
        watch.add(conn.sock)


class _Connection(HTTPConnection):
    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _register(self)  # the request is sent: its socket is open, the answer to come
        return super().getresponse(*args, **kwargs)


class _TlsConnection(HTTPSConnection):
    def getresponse(self, *args: Any, **kwargs: Any) -> Any:
        _register(self)
        return super().getresponse(*args, **kwargs)


class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection


class _TlsPool(HTTPSConnectionPool):
    ConnectionCls = _TlsConnection


class DeadlineAdapter(HTTPAdapter):
    """requests' adapter whose connections honour `deadline()`."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TlsPool}
