"""The HTTP edge, from the outside: a real `scep-bot serve` process on 127.0.0.1 meets oversized,
unsigned, badly encoded and slow requests the way an attacker on the network would send them.

Each test starts its own server (with a fake Slack Web API) and reads what the process wrote to
its log, its memory from /proc/<pid>/status, and the answers on the wire."""

from __future__ import annotations

import hashlib
import hmac
import json
import select
import socket
import subprocess
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.harness import SECRET, signed_headers
from tests.test_running import ROOT, command_body, env_for, free_port, post, scep_bot

MB = 1024 * 1024


class Served:
    """A running `scep-bot serve`: its port, process and log file."""

    def __init__(self, port: int, proc: subprocess.Popen, log_path: Path) -> None:
        self.port, self.proc, self.log_path = port, proc, log_path
        self.base = f"http://127.0.0.1:{port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) of the server process, in bytes."""
        out = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = int(value.split()[0]) * 1024
        return out

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_serve(tmp_path: Path, fake, **env: str) -> Served:
    port = free_port()
    log_path = tmp_path / "serve.log"
    environ = env_for(tmp_path, SLACK_BOT_TOKEN="xoxb-test", SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url, **env)
    with open(log_path, "w") as log_file:
        proc = subprocess.Popen([*scep_bot(), "serve", "--host", "127.0.0.1", "--port", str(port)], env=environ, cwd=ROOT,
                                stdout=log_file, stderr=subprocess.STDOUT)
    served = Served(port, proc, log_path)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(served.base + "/healthz", timeout=1) as r:
                if r.status == 200:
                    return served
        except OSError:
            if proc.poll() is not None:
                raise AssertionError(served.log())
            time.sleep(0.05)
    served.stop()
    raise AssertionError("scep-bot serve did not answer /healthz in 20 s:\n" + served.log())


@pytest.fixture
def serve(tmp_path, fake):
    running: list[Served] = []

    def start(**env: str) -> Served:
        s = start_serve(tmp_path, fake, **env)
        running.append(s)
        return s

    yield start
    for s in running:
        s.stop()


def healthz(base: str, timeout: float = 5.0) -> float:
    """Seconds /healthz took to answer 200 (``timeout`` if it did not answer)."""
    t0 = time.monotonic()
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=timeout) as r:
            r.read()
            assert r.status == 200
    except OSError:
        return timeout
    return time.monotonic() - t0


def raw_post(port: int, body_size: int, headers: dict[str, str], *, fill: bytes = b"A", path: str = "/slack/events",
             timeout: float = 60.0) -> int | None:
    """POST a body of ``body_size`` bytes the way a careless client does: headers, then the body
    in 1 MiB pieces, stopping as soon as the server has answered (or hung up). The status code,
    or None if the server closed the connection without one."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {body_size}\r\nConnection: close\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    piece = fill * MB
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(head.encode())
        sent = 0
        # an answer that comes before the body (a refusal by its headers) is read first
        answered = bool(select.select([s], [], [], 0.2)[0])
        while sent < body_size and not answered:
            n = min(len(piece), body_size - sent)
            try:
                s.sendall(piece[:n])
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += n
            answered = bool(select.select([s], [], [], 0)[0])
        data = b""
        try:
            while b"\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except (ConnectionResetError, socket.timeout):
            pass
    if not data.startswith(b"HTTP/1."):
        return None
    return int(data.split(b" ", 2)[1])


def slack_signature(body: bytes, ts: int, secret: str = SECRET) -> str:
    return "v0=" + hmac.new(secret.encode(), b"v0:%d:" % ts + body, hashlib.sha256).hexdigest()


def post_bytes(base: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    req = urllib.request.Request(base + "/slack/events", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


FORM = "application/x-www-form-urlencoded"


# -- 1. oversized, unsigned bodies


def test_eight_unsigned_40_mb_bodies_at_once_are_refused_without_the_server_holding_them(serve):
    s = serve()
    before = s.memory()
    unsigned = {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=" + "0" * 64}
    t0 = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda i: raw_post(s.port, 40 * MB, unsigned if i % 2 else {"Content-Type": FORM}), range(8)))
    took = time.monotonic() - t0
    after = s.memory()
    peak_growth = after["VmHWM"] - before["VmRSS"]
    print(f"\n8 x 40 MB unsigned: statuses {statuses}, {took:.2f} s; server RSS {before['VmRSS'] / MB:.1f} MB before, "
          f"peak {after['VmHWM'] / MB:.1f} MB (+{peak_growth / MB:.1f} MB), {after['VmRSS'] / MB:.1f} MB after")
    assert all(st in (401, 413) for st in statuses), statuses
    assert peak_growth < 100 * MB, f"the server's memory grew by {peak_growth / MB:.0f} MB for bodies it should refuse"
    assert healthz(s.base) < 1.0


def test_a_signed_request_under_the_limit_is_served_and_one_over_it_is_refused(serve, fake):
    s = serve()
    body = command_body("next", fake)
    status, text = post(s.base + "/slack/events", body, signed_headers(body))
    assert status == 200 and "isn't linked to a school yet" in text
    big = body + "&pad=" + "x" * (1 * MB)  # Slack's payloads are a few KB; the cap is 1 MiB
    assert raw_post(s.port, len(big), signed_headers(big), fill=b"x") == 413  # refused on its Content-Length, signed or not


# -- 2. nothing an unauthenticated caller sends reaches the log, but a short escaped summary


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_unsigned_bodies_cannot_forge_or_flood_log_lines(serve, fake, level):
    s = serve(LOG_LEVEL=level)
    forged = "command=%2Fscep&text=hi\nCRITICAL scep-bot: forged: the bot token was revoked\n&team_id=T0DEMO001&user_id=U1"
    now = str(int(time.time()))
    bad = {"Content-Type": FORM, "X-Slack-Request-Timestamp": now, "X-Slack-Signature": "v0=" + "1" * 64}
    assert post(s.base + "/slack/events", forged, bad)[0] == 401
    assert post(s.base + "/slack/events", forged, {"Content-Type": FORM})[0] == 401
    assert raw_post(s.port, 5 * MB, bad, fill=b"Z") in (401, 413)
    assert post(s.base + "/slack/events", "payload=" + "Q" * 900_000, bad)[0] == 401  # under the cap, unsigned
    body = command_body("help", fake)
    assert post(s.base + "/slack/events", body, signed_headers(body))[0] == 200
    time.sleep(0.3)
    s.stop()
    log = s.log()
    lines = log.splitlines()
    forged_lines = [l for l in lines if l.startswith("CRITICAL")]
    assert not forged_lines, f"the caller forged lines of the log: {forged_lines[:3]}"
    assert not [l for l in lines if "forged" in l and not l[:4].isdigit()], "the caller wrote a line of the log"
    leaked = "Z" * 300 in log or "Q" * 300 in log
    assert not leaked, f"an unsigned body reached the log ({len(log):,} characters)"
    assert len(log) < 200_000, f"the log grew to {len(log):,} characters"
    assert "Traceback" not in log


# -- 3. a body that is not UTF-8


def test_a_body_that_is_not_utf8_is_refused_unsigned_and_ignored_signed(serve):
    s = serve()
    body = b"payload=\xff\xfe"
    ts = int(time.time())
    assert post_bytes(s.base, body, {"Content-Type": FORM})[0] == 401
    assert post_bytes(s.base, body, {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": "v0=" + "2" * 64})[0] == 401
    signed = {"Content-Type": FORM, "X-Slack-Request-Timestamp": str(ts), "X-Slack-Signature": slack_signature(body, ts)}
    status, answer = post_bytes(s.base, body, signed)
    assert (status, answer) == (200, b"")
    jbody = b'{"type": "event_callback", "event": {"text": "\xc3\x28"}}'
    status, answer = post_bytes(s.base, jbody, {"Content-Type": "application/json", "X-Slack-Request-Timestamp": str(ts),
                                                "X-Slack-Signature": slack_signature(jbody, ts)})
    assert (status, answer) == (200, b"")
    assert healthz(s.base) < 1.0
    s.stop()
    log = s.log()
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]
    warnings = [l for l in log.splitlines() if " WARNING " in l and "UTF-8" in l]
    assert len(warnings) == 2, log[-3000:]  # one per signed request


# -- 4. slow clients


def test_150_slow_clients_do_not_stop_healthz_or_slack(serve, fake):
    s = serve()
    body = command_body("setup Slowloris School", fake)
    assert post(s.base + "/slack/events", body, signed_headers(body))[0] == 200
    socks: list[socket.socket] = []
    for i in range(150):
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        if i % 2:  # half never finish their headers
            c.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        else:  # half send headers and never finish the body
            c.sendall(b"POST /slack/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                      b"Content-Length: 100000\r\n\r\npayload=")
        socks.append(c)
    dropped: set[int] = set()
    stop = threading.Event()

    def trickle() -> None:
        while not stop.wait(2.0):
            for n, c in enumerate(socks):
                if n in dropped:
                    continue
                try:
                    c.sendall(b"X-Slow-%d: 1\r\n" % n if n % 2 else b"a")
                except OSError:
                    dropped.add(n)

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    latencies: list[float] = []
    answered = None
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < 12:
            latencies.append(healthz(s.base, timeout=3.0))
            if answered is None and time.monotonic() - t0 > 4:
                cmd = command_body("next 1", fake, 2)
                answered = post(s.base + "/slack/events", cmd, signed_headers(cmd))
            time.sleep(0.05)
        # the server hangs up on clients that take too long to send a request
        end = time.monotonic() + 6
        while time.monotonic() < end and len(dropped) < 150:
            for n, c in enumerate(socks):
                if n not in dropped:
                    try:
                        c.setblocking(False)
                        if c.recv(1024) == b"":
                            dropped.add(n)
                    except BlockingIOError:
                        pass
                    except OSError:
                        dropped.add(n)
            time.sleep(0.2)
    finally:
        stop.set()
        t.join(timeout=5)
        for c in socks:
            c.close()
    latencies.sort()
    p50, p99 = latencies[len(latencies) // 2], latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    print(f"\n/healthz under 150 slow clients: {len(latencies)} requests, p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms; slow clients dropped by the server: {len(dropped)}")
    assert p99 < 1.0, f"/healthz p99 {p99:.2f} s under slow clients"
    assert answered is not None and answered[0] == 200 and "Next for Slowloris School" in json.loads(answered[1])["text"]
    assert len(dropped) == 150, f"only {len(dropped)} of 150 slow clients were dropped"
