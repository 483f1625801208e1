"""The pages a person sees while installing scep-bot: "Add to Slack", installed, and what went
wrong (with what to do instead). Plain HTML, nothing loaded from elsewhere."""

from __future__ import annotations

import html

INSTALL_PATH = "/slack/install"

_STYLE = ("body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#1d1c1d}"
          "a.button{display:inline-block;padding:.7rem 1.2rem;border-radius:6px;background:#4a154b;color:#fff;"
          "font-weight:600;text-decoration:none}")

# Bolt's reasons (FailureArgs.reason) -> what the person is told
_WHY = {
    "invalid_state": "This install link has expired or was already used.",
    "invalid_browser": "This install was started in another browser (or its cookie is gone).",
    "access_denied": "The install was cancelled in Slack.",
    "missing_code": "Slack did not send the install code.",
    "invalid_code": "Slack did not accept the install code (it may have been used already).",
    "storage_error": "The installation could not be saved.",
}


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{_STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def install_page(authorize_url: str) -> str:
    """The page of GET /slack/install: one "Add to Slack" button to Slack's authorize URL."""
    return _page("Install scep-bot", (
        "<p>scep-bot keeps school improvement teams on their yearly SCEP cycle: next steps, checklists, nudges and visit notes, "
        "in each school's Slack channel.</p>"
        f'<p><a class="button" id="add-to-slack" href="{html.escape(authorize_url, quote=True)}">Add to Slack</a></p>'
        "<p>Slack asks a workspace admin to allow it; you come back here when it is done. The link is good for ten minutes.</p>"))


def success(args):  # noqa: ANN001, ANN201 - Bolt's SuccessArgs -> BoltResponse
    from slack_bolt.response import BoltResponse

    inst = args.installation
    where = inst.team_name or inst.enterprise_name or inst.team_id or "your workspace"
    body = _page("scep-bot is installed", (
        f"<p>scep-bot is installed in <strong>{html.escape(where)}</strong>.</p>"
        "<p>Next: invite it to a school's channel (<code>/invite @scep-bot</code>) and type "
        "<code>/scep setup &lt;school name&gt; model:TSI</code> there. <code>/scep help</code> lists the rest.</p>"))
    return BoltResponse(status=200, body=body, headers={"Content-Type": "text/html; charset=utf-8"})


def failure(args):  # noqa: ANN001, ANN201 - Bolt's FailureArgs -> BoltResponse
    from slack_bolt.response import BoltResponse

    why = _WHY.get(args.reason, "Slack answered with an error.")
    body = _page("scep-bot was not installed", (
        f"<p>{html.escape(why)} Nothing was installed.</p>"
        f'<p>Start the install again: <a class="button" id="start-again" href="{INSTALL_PATH}">Add to Slack</a></p>'
        f"<p><small>(reason: {html.escape(args.reason)})</small></p>"))
    status = args.suggested_status_code if args.reason != "access_denied" else 200
    return BoltResponse(status=status, body=body, headers={"Content-Type": "text/html; charset=utf-8"})
