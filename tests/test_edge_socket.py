"""Socket Mode after a dropped connection: `scep-bot socket` against a fake Socket Mode endpoint
on 127.0.0.1 whose connection is cut (the server closes its socket) or goes silent (it stops
answering pings: a NAT or firewall that forgot the connection). The bot must be back, and the
next event delivered and acknowledged, within a few seconds."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import pytest

from bot.root.emulator import FakeSocketMode
from tests.test_running import ROOT, env_for, scep_bot

SLASH = {"team_id": "T0DEMO001", "channel_id": "C0SOCK001", "user_id": "U0ADMIN01", "command": "/scep", "trigger_id": "1.t"}


def event(n: int) -> dict:
    """A message in a channel no school uses: acknowledged, nothing else."""
    return {"type": "event_callback", "team_id": "T0DEMO001", "api_app_id": "A0TEST", "event_id": f"EvDROP{n:04d}",
            "event_time": int(time.time()), "authorizations": [{"team_id": "T0DEMO001", "user_id": "UBOT0001", "is_bot": True}],
            "event": {"type": "message", "channel": "C0NOSCHOOL", "user": "U0ADMIN01", "text": f"hello {n}", "ts": f"{time.time():.6f}",
                      "channel_type": "channel"}}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks of 1/100 s


@pytest.fixture
def socket_bot(tmp_path, fake):
    ws = FakeSocketMode()
    fake.socket_mode_url = ws.url
    env = env_for(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_APP_TOKEN="xapp-1-test", SLACK_API_URL=fake.url)
    log = open(tmp_path / "socket.log", "w")
    proc = subprocess.Popen([*scep_bot(), "socket"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        assert ws.connected.wait(20), "the bot never opened a Socket Mode connection"
        ack = ws.ack_for(ws.send("slash_commands", {**SLASH, "response_url": fake.response_url("s"), "text": "help"}))
        assert ack is not None, "the first command was not acknowledged"
        yield ws, proc, tmp_path / "socket.log"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        ws.close()


def back_after_drop(ws: FakeSocketMode, cut, limit: float) -> tuple[float, float]:
    """Cut the connection with ``cut()``; seconds until the bot reconnected, and until an event
    sent on the new connection was acknowledged."""
    old = ws.conn
    t0 = time.monotonic()
    cut(old)
    while ws.conn is old and time.monotonic() - t0 < limit:
        time.sleep(0.01)
    reconnected = time.monotonic() - t0
    assert ws.conn is not old, f"the bot did not reconnect within {limit:.0f} s"
    eid = ws.send("events_api", event(1))
    ack = ws.ack_for(eid, timeout=max(0.5, limit - (time.monotonic() - t0)))
    acked = time.monotonic() - t0
    assert ack is not None and ack["envelope_id"] == eid, "the event after the reconnection was not acknowledged"
    return reconnected, acked


def test_a_closed_socket_mode_connection_is_back_within_seconds(socket_bot):
    ws, proc, log = socket_bot

    def close(conn: socket.socket) -> None:
        conn.shutdown(socket.SHUT_RDWR)
        conn.close()

    cpu0 = cpu_seconds(proc.pid)
    reconnected, acked = back_after_drop(ws, close, limit=10.0)
    cpu = cpu_seconds(proc.pid) - cpu0
    print(f"\nSocket Mode, connection closed by the server: reconnected after {reconnected:.2f} s, next event acknowledged after "
          f"{acked:.2f} s, {cpu:.2f} s of CPU meanwhile")
    assert acked < 10.0
    assert cpu < max(2.0, acked * 0.5), f"the bot spun {cpu:.1f} s of CPU in {acked:.1f} s while disconnected"
    # and again: every drop, not only the first
    reconnected, acked = back_after_drop(ws, close, limit=10.0)
    assert acked < 10.0


def test_a_silent_socket_mode_connection_is_noticed_and_replaced(socket_bot):
    ws, proc, log = socket_bot

    def go_silent(conn: socket.socket) -> None:
        ws._frame = lambda opcode, data: None  # the far end stops answering (no pongs), the socket stays open

    try:
        reconnected, acked = None, None
        old = ws.conn
        t0 = time.monotonic()
        go_silent(old)
        while ws.conn is old and time.monotonic() - t0 < 20:
            time.sleep(0.01)
        reconnected = time.monotonic() - t0
    finally:
        del ws._frame  # the new connection answers again
    assert ws.conn is not old, "the bot never noticed that its connection went silent"
    eid = ws.send("events_api", event(2))
    assert ws.ack_for(eid, timeout=5) is not None
    acked = time.monotonic() - t0
    print(f"\nSocket Mode, connection gone silent: reconnected after {reconnected:.2f} s, next event acknowledged after {acked:.2f} s")
    assert acked < 12.0  # pings every 4 s, a pong may take 2 s: given up within 8 s, then half a second to reconnect
