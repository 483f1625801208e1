"""Over HTTP and Socket Mode a request is answered as soon as its listener calls ``ack()``
(handlers/prompt_ack.py), not at Bolt's next 10 ms poll; the listener goes on after it.

Signed requests into the real Bolt app built as ``scep-bot serve`` builds it
(``process_before_response=False``), with a few test listeners added to it."""

from __future__ import annotations

import logging
import threading
import time
from urllib.parse import urlencode

import pytest

from bot.calendar import dates
from bot.root.app import build_app
from bot.root.emulator import TEAM_ID
from handlers.prompt_ack import AckWaitingExecutor, signal_ack
from tests.harness import Bot, signed_headers


@pytest.fixture
def served(tmp_path, fake):
    b = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"), process_before_response=False)
    yield b
    b.close()


def call(bot: Bot, command: str):
    body = urlencode({"team_id": TEAM_ID, "channel_id": "C0SCHOOL1", "user_id": "U0ADMIN01", "command": command,
                      "text": "", "response_url": bot.fake.response_url("t"), "trigger_id": "1.t"})
    return bot.dispatch(body, signed_headers(body))


def test_the_answer_comes_at_the_ack_while_the_listener_is_still_running(served):
    """The request thread waits for the ack only: the listener is still blocked after it when the
    answer is back, and finishes once released."""
    release, finished = threading.Event(), threading.Event()

    @served.app.command("/slowafter")
    def slow_after(ack):
        ack("on it")
        release.wait(10)  # Web API work after the ack
        finished.set()

    answer = call(served, "/slowafter")
    assert answer.status == 200 and answer.body == "on it"
    assert not finished.is_set()  # answered while the listener was still blocked after its ack
    release.set()
    assert finished.wait(10)


def test_over_socket_mode_too(tmp_path, fake):
    """Socket Mode's handler dispatches each envelope's payload (no signature) the same way."""
    from bot.root.services import build_services
    from bot.root.settings import Settings
    from handlers.dispatch import safe_dispatch

    services = build_services(Settings(bot_token="xoxb-test", api_url=fake.url, data_dir=tmp_path / "data"))
    app = build_app(services, token="xoxb-test", signing_secret=None, background=False)  # as socket_command builds it
    release, finished = threading.Event(), threading.Event()

    @app.command("/slowafter")
    def slow_after(ack):
        ack("on it")
        release.wait(10)
        finished.set()

    try:
        payload = {"team_id": TEAM_ID, "channel_id": "C0SCHOOL1", "user_id": "U0ADMIN01", "command": "/slowafter", "text": ""}
        answer = safe_dispatch(app, payload, {}, mode="socket_mode")
        assert answer.status == 200 and answer.body == "on it"
        assert not finished.is_set()
        release.set()
        assert finished.wait(10)
    finally:
        services.store.close()


def test_an_ack_is_answered_before_bolts_10_ms_poll_would_see_it(served):
    """Bolt's runner sleeps 10 ms between looks at ``ack.response`` (``time.sleep`` never returns
    early), and a listener that takes a millisecond before its ack is never seen at the first
    look: without the signal every one of these requests takes 10 ms or more. Only the fastest of
    twenty must be under 9 ms, so a loaded machine does not make this fail."""

    @served.app.command("/quick")
    def quick(ack):
        time.sleep(0.001)
        ack("done")

    took = []
    for _ in range(20):
        t0 = time.perf_counter()
        answer = call(served, "/quick")
        took.append(time.perf_counter() - t0)
        assert answer.status == 200 and answer.body == "done"
    assert min(took) < 0.009, sorted(took)[:5]


def test_scep_commands_still_answer_in_http_mode(tmp_path, fake):
    first = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"))
    first.setup()  # (over HTTP a write is acknowledged first, then done: set up before)
    first.close()
    served = Bot(tmp_path / "data", fake, dates.parse_instant("2021-11-02T13:00:00Z"), process_before_response=False)
    try:
        answer = served.command("next")
    finally:
        served.close()
    assert answer.status == 200 and "Lincoln Elementary" in answer.text


def test_a_listener_that_ends_without_ack_gets_bolts_usual_answer(served, caplog):
    """Ending is a signal too (the request thread stops waiting for the listener), but with no
    ack Bolt's runner waits out its 3 s for one, warns, and the request is unhandled (404)."""
    ran = threading.Event()

    @served.app.command("/noack")
    def no_ack(body):
        ran.set()

    with caplog.at_level(logging.WARNING, logger="slack_bolt.App"):
        answer = call(served, "/noack")
    assert ran.is_set()
    assert answer.status == 404
    assert any("ack()" in r.getMessage() for r in caplog.records), [r.getMessage() for r in caplog.records]


def test_a_listener_that_fails_after_its_ack_still_gets_its_ack_back(served):
    @served.app.command("/ackthenfail")
    def ack_then_fail(ack):
        ack("acknowledged")
        raise RuntimeError("the Web API call after the ack failed")

    answer = call(served, "/ackthenfail")
    assert answer.status == 200 and answer.body == "acknowledged"


def test_a_lazy_listener_still_runs_after_the_ack(served):
    """Bolt copies the request (and its ack) for a lazy listener; it runs after the answer."""
    ran = threading.Event()

    def later(body):
        ran.set()

    served.app.command("/lazy")(ack=lambda ack: ack("first"), lazy=[later])
    answer = call(served, "/lazy")
    assert answer.status == 200 and answer.body == "first"
    assert ran.wait(10)


def test_graceful_shutdown_waits_for_a_listener_still_running_after_its_ack(served):
    from bot.root.serving import _finish_listeners

    release, finished = threading.Event(), threading.Event()

    @served.app.command("/working")
    def working(ack):
        ack()
        release.wait(10)
        finished.set()

    assert call(served, "/working").status == 200
    stopper = threading.Thread(target=_finish_listeners, args=(served.app,))
    stopper.start()
    stopper.join(0.2)
    assert stopper.is_alive()  # still waiting for the listener
    release.set()
    stopper.join(10)
    assert not stopper.is_alive() and finished.is_set()


def test_the_executor_returns_from_submit_once_the_listener_acknowledged():
    """The mechanism on its own: from a thread where ``signal_ack`` ran, ``submit`` returns when
    the listener has called ``ack()`` (not when it ends); from any other thread, at once."""
    executor = AckWaitingExecutor(2)
    release = threading.Event()
    context: dict = {}
    signal_ack(context, lambda: None)
    ack = context["ack"]

    def listener():
        time.sleep(0.05)
        ack(text="ok")
        release.wait(10)

    future = executor.submit(listener)
    assert ack.response is not None and ack.response.status == 200  # submit waited for the ack
    assert not future.done()  # and not for the rest of the listener
    release.set()
    future.result(10)
    gate = threading.Event()
    plain = executor.submit(gate.wait, 10)  # the request's one wait is spent: this returns at once
    assert not plain.done()
    gate.set()
    assert plain.result(10) is True
    executor.shutdown(wait=True)


def test_the_console_answers_in_the_request_thread_as_before(bot):
    """``process_before_response=True`` (the console, most tests): no signal needed, none used."""
    bot.setup()
    assert "Lincoln Elementary" in bot.command("next").text
