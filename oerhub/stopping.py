"""Stopping a harvest on Ctrl-C or SIGTERM without losing or leaving anything.

Python's default Ctrl-C raises KeyboardInterrupt in the main thread only, while the sources
are harvested in other threads, which ran on to the end (an endless source never stopped);
systemd's SIGTERM killed the process with its runs left `running`. Instead the signal sets a
`Stop`: each source stores the page it has, closes its run `incomplete` and the next run
resumes there; the harvest lock is released and the command exits 128 + the signal's number
(130 for Ctrl-C, 143 for SIGTERM), as shells and systemd expect. A second signal while
stopping is obeyed at once (the default action).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from oerhub.errors import HarvestStopped

SIGNALS = (signal.SIGINT, signal.SIGTERM)
NAMES = {signal.SIGINT: "Ctrl-C (SIGINT)", signal.SIGTERM: "SIGTERM"}


class Stop(threading.Event):
    """Set when the harvest is asked to stop; `signum` is the signal that asked."""

    signum: int | None = None

    def request(self, signum: int) -> None:
        self.signum = signum
        self.set()

    @property
    def reason(self) -> str:
        return NAMES.get(self.signum or 0, "a request to stop")

    def check(self) -> None:
        """Raise HarvestStopped if asked to stop (between pages, before a request)."""
        if self.is_set():
            raise HarvestStopped(f"stopped by {self.reason}; the next run resumes from the "
                                 "last page stored")


@contextmanager
def stop_on_signals(stop: Stop) -> Iterator[Stop]:
    """Within the block, SIGINT and SIGTERM set `stop` (outside the main thread: nothing)."""
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    previous = {signum: signal.getsignal(signum) for signum in SIGNALS}

    def handler(signum: int, _frame: object) -> None:
        if stop.is_set():  # asked twice: do what the signal does by default
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)
            return
        stop.request(signum)

    for signum in SIGNALS:
        signal.signal(signum, handler)
    try:
        yield stop
    finally:
        for signum, action in previous.items():
            signal.signal(signum, action)
