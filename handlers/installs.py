"""What Slack tells about the app's installations (many workspaces only): ``app_uninstalled``
and ``tokens_revoked`` delete the workspace's tokens; its schools stay, idle until a reinstall
(``services.installations``, set by the composition root)."""

from __future__ import annotations


def register(app, services) -> None:
    installations = services.installations
    if installations is None:  # one workspace, one token: nothing to delete
        return

    @app.event("app_uninstalled")
    def uninstalled(context) -> None:  # noqa: ANN001 - Bolt's signature
        installations.uninstalled(context.enterprise_id, context.team_id)

    @app.event("tokens_revoked")
    def revoked(event, context) -> None:  # noqa: ANN001 - Bolt's signature
        tokens = event.get("tokens") or {}
        installations.revoked(context.enterprise_id, context.team_id, list(tokens.get("bot") or []), list(tokens.get("oauth") or []))
