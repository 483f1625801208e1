"""Slack gets its acknowledgement as soon as a listener calls ``ack()``, not at Bolt's next 10 ms poll.

With ``process_before_response=False`` (HTTP and Socket Mode) Bolt runs each listener on its
listener executor and, in the request thread, polls ``ack.response`` every 10 ms: every request
cost at least ~10 ms even when the listener acknowledged in 0.2 ms. Two of Bolt's public hooks
close that gap, with Bolt's runner left as it is:

- ``signal_ack``, a global middleware, gives the request an ``Ack`` (Bolt's class) that sets an
  event when it is called, and leaves that event for the request thread;
- ``AckWaitingExecutor``, the app's ``listener_executor``, takes the event when Bolt submits that
  request's listener from the same thread, and waits on it before returning to Bolt: until the
  listener acknowledges or ends, at most ``ACK_WAIT`` s (Bolt's own wait for an ack). Bolt's poll
  then finds the response at its first look.

The request thread waits for the acknowledgement only: the listener goes on in the pool after
``ack()`` (Web API calls after it never delay the HTTP response). A listener that ends without
acknowledging, or has not acknowledged within ``ACK_WAIT``, leaves Bolt's poll to behave as it
always did. Anything else submitted to the executor (a lazy listener, which starts once the ack
is given, or a thread with no request) runs without waiting.
"""

from __future__ import annotations

import copy
import threading
from concurrent.futures import Future, ThreadPoolExecutor

from slack_bolt.context.ack import Ack

ACK_WAIT = 3.0  # seconds: Bolt's default ack_timeout, after which its poll gives up on the ack anyway

_pending = threading.local()  # the request thread's event, from signal_ack to the executor's submit


class SignalledAck(Ack):
    """Bolt's ``Ack``, which also sets ``called`` once the response is in place."""

    def __init__(self) -> None:
        super().__init__()
        self.called = threading.Event()

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003 - Ack's signature, passed through
        try:
            return super().__call__(*args, **kwargs)
        finally:
            self.called.set()

    def __deepcopy__(self, memo):  # noqa: ANN001 - a lazy listener's copy of the request: an event is not copyable
        twin = SignalledAck()
        twin.response = copy.deepcopy(self.response, memo)
        return twin


def signal_ack(context, next):  # noqa: ANN001, A002 - Bolt's middleware signature
    """Give this request a ``SignalledAck`` and leave its event for ``AckWaitingExecutor.submit``."""
    ack = SignalledAck()
    context["ack"] = ack
    _pending.event = ack.called
    return next()


class AckWaitingExecutor(ThreadPoolExecutor):
    """A thread pool whose ``submit`` from a request thread returns once the listener acknowledged
    (or ended, or ``wait`` s passed), so that Bolt's poll finds the acknowledgement at once."""

    def __init__(self, max_workers: int, *, wait: float = ACK_WAIT, thread_name_prefix: str = "listener") -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix=thread_name_prefix)
        self.wait = wait

    def submit(self, fn, /, *args, **kwargs) -> Future:  # noqa: ANN001 - Executor's signature
        event = getattr(_pending, "event", None)
        if event is None:
            return super().submit(fn, *args, **kwargs)
        _pending.event = None  # one wait per request: its first listener; lazy ones start without

        def run():
            try:
                return fn(*args, **kwargs)
            finally:
                event.set()  # ended without ack() (or Bolt set the error response itself): stop waiting

        future = super().submit(run)
        event.wait(self.wait)
        return future
