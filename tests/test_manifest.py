"""app.yaml declares what the running bot needs from Slack."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def test_the_manifest_declares_the_command_scopes_events_and_modes():
    m = yaml.safe_load((ROOT / "app.yaml").read_text())
    cmds = {c["command"]: c for c in m["features"]["slash_commands"]}
    assert cmds["/scep"]["should_escape"] is True  # mentions arrive as <@U123>
    scopes = set(m["oauth_config"]["scopes"]["bot"])
    assert {"commands", "chat:write", "reactions:write", "files:write", "users:read", "im:write", "channels:history", "groups:history", "metadata.message:read"} <= scopes
    assert {"app_home_opened", "message.channels", "message.groups"} <= set(m["settings"]["event_subscriptions"]["bot_events"])
    assert m["settings"]["interactivity"]["is_enabled"] is True
    assert m["settings"]["socket_mode_enabled"] is True
    assert m["features"]["app_home"]["home_tab_enabled"] is True
    for url in (cmds["/scep"]["url"], m["settings"]["event_subscriptions"]["request_url"], m["settings"]["interactivity"]["request_url"]):
        assert url.endswith("/slack/events")
