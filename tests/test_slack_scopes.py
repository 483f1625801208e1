"""Every Slack Web API method the code calls is covered by a bot scope in app.yaml, no scope is
asked for that no feature uses, and docs/slack-admin.md (the page a Slack admin approves the app
from) names every scope, event and method. A new ``client.<method>(`` call fails here until its
scope is in the manifest and the page says why."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.root.installs import SCOPES

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "slack-admin.md"

# Slack's reference (api.slack.com/methods/<method>, "Required scopes", bot token). Methods with no
# scope need only a valid token (views.*, chat.getPermalink, auth.test); apps.connections.open takes
# the app-level token (connections:write), not a bot scope.
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
    "apps.connections.open": set(),
    "chat.postMessage": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.delete": {"chat:write"},
    "chat.getPermalink": set(),
    "reactions.add": {"reactions:write"},
    "files.uploadV2": {"files:write"},  # files.getUploadURLExternal + files.completeUploadExternal
    "files.info": {"files:read"},  # a file shared in Slack: an .ics to import, a roster CSV (then its url_private)
    "users.info": {"users:read"},
    "users.list": {"users:read"},
    # public / private channels; include_all_metadata=True reads the prompts' own metadata back
    "conversations.replies": {"channels:history", "groups:history", "metadata.message:read"},
    "conversations.open": {"im:write"},
    "conversations.list": {"channels:read", "groups:read"},  # channel names in a roster CSV
    "views.open": set(),
    "views.push": set(),
    "views.update": set(),
    "views.publish": set(),
}
# Scopes no Web API method needs: the slash command and the message shortcut; the message events.
FEATURE_SCOPES = {"commands"}
EVENT_SCOPES = {"message.channels": {"channels:history"}, "message.groups": {"groups:history"}, "app_home_opened": set(),
                "app_uninstalled": set(), "tokens_revoked": set()}

CALL = re.compile(r"\bclient\.([a-z]+)_([a-zA-Z0-9_]+)\(")
PAGED = re.compile(r"\b_all\(\"([a-z]+)\.([a-zA-Z]+)\"")  # handlers/workspace_directory.py pages users.list, conversations.list


def _dotted(family: str, rest: str) -> str:
    if (family, rest) == ("files", "upload_v2"):
        return "files.uploadV2"
    parts = rest.split("_")
    return ".".join([family, *parts]) if family == "apps" else f"{family}.{rest}"


def methods_called() -> dict[str, list[str]]:
    """Every Web API method called in the bot's code (not the emulator, which answers them), with
    the files calling it."""
    found: dict[str, list[str]] = {}
    for pkg in ("bot", "handlers", "schedules"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if path.name in ("emulator.py", "emulator_oauth.py"):
                continue
            text = path.read_text()
            for family, rest in CALL.findall(text) + PAGED.findall(text):
                found.setdefault(_dotted(family, rest), []).append(str(path.relative_to(ROOT)))
    return found


def manifest() -> dict:
    return yaml.safe_load((ROOT / "app.yaml").read_text())


def test_the_scan_finds_the_calls_it_must():
    found = methods_called()
    assert {"chat.postMessage", "conversations.replies", "users.info", "files.uploadV2", "conversations.open", "views.open"} <= set(found)


def test_every_method_called_has_its_scopes_in_the_manifest():
    scopes = set(manifest()["oauth_config"]["scopes"]["bot"])
    for method, where in methods_called().items():
        assert method in METHOD_SCOPES, f"{method} (called in {where[0]}): add its scopes from api.slack.com/methods/{method} to METHOD_SCOPES"
        assert METHOD_SCOPES[method] <= scopes, f"{method} needs {METHOD_SCOPES[method] - scopes} in app.yaml"


def test_no_scope_is_asked_for_that_nothing_uses():
    m = manifest()
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    events = m["settings"]["event_subscriptions"]["bot_events"]
    used = set(FEATURE_SCOPES)
    for method in methods_called():
        used |= METHOD_SCOPES.get(method, set())
    for event in events:
        used |= EVENT_SCOPES[event]
    assert scopes == used, f"unused: {scopes - used}; missing: {used - scopes}"
    assert set(SCOPES) == scopes  # the OAuth install asks for the same
    assert "conversations.info" not in methods_called()  # channels:read is for the roster's channel names only


def test_the_admin_page_names_every_scope_event_and_method():
    doc = DOC.read_text()
    m = manifest()
    for scope in m["oauth_config"]["scopes"]["bot"]:
        assert f"`{scope}`" in doc, f"docs/slack-admin.md does not list the scope {scope}"
    for event in m["settings"]["event_subscriptions"]["bot_events"]:
        assert f"`{event}`" in doc, f"docs/slack-admin.md does not list the event {event}"
    for method in methods_called():
        assert f"`{method}`" in doc, f"docs/slack-admin.md does not name the method {method}"
