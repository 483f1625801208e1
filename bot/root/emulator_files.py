"""Files people share, in the fake Slack Web API: Slack's file object (as in a ``file_share``
message event), ``files.info``, and the bytes at the file's ``url_private``, served only to a
request with a token (``Authorization: Bearer xox...``); without one, Slack's sign-in page
(HTML, status 200), as Slack does."""

from __future__ import annotations

from typing import Any

TEAM = "T0DEMO001"


def share(fake, name: str, data: bytes, user: str, file_id: str | None = None) -> dict[str, Any]:
    """Record a shared file; returns its file object (id, name, url_private, url_private_download)."""
    assert fake.server is not None
    file_id = file_id or "F" + fake._next_ts().replace(".", "")[-10:]
    url = f"http://127.0.0.1:{fake.server.server_address[1]}/files-pri/{TEAM}-{file_id}/{name}"
    obj = {"id": file_id, "name": name, "title": name, "user": user, "filetype": name.rsplit(".", 1)[-1] if "." in name else "text",
           "size": len(data), "url_private": url, "url_private_download": url + "?download=1"}
    with fake.lock:
        fake.shared[file_id] = {**obj, "data": data}
    return obj


def info(fake, args: dict[str, Any]) -> dict[str, Any]:
    """``files.info``: the shared file's object, or ``file_not_found``."""
    with fake.lock:
        f = fake.shared.get(args.get("file", ""))
    if f is None:
        return {"ok": False, "error": "file_not_found"}
    return {"ok": True, "file": {k: v for k, v in f.items() if k != "data"}}


def download(fake, path: str, token: str) -> tuple[int, bytes, dict[str, str]]:
    """GET of a url_private with the bearer ``token`` it carried (the emulator records the call)."""
    file_id = path.split("/")[2].rsplit("-", 1)[-1]
    with fake.lock:
        f = fake.shared.get(file_id)
    if not token.startswith("xox"):
        return 200, b"<!DOCTYPE html><html><body>Sign in to Slack</body></html>", {"Content-Type": "text/html; charset=utf-8"}
    if f is None:
        return 404, b"Not found", {"Content-Type": "text/plain"}
    return 200, f["data"], {"Content-Type": "application/octet-stream"}
