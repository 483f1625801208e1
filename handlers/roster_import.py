"""The Slack side of ``/scep roster import``: the shared CSV read with the bot token (files.info,
then its ``url_private_download``), names resolved through the Web API, the answer to the admin."""

from __future__ import annotations

from bot.onboarding.command import ImportRoster, import_report
from bot.onboarding.roster import MAX_BYTES
from handlers.context import slack_file_reader
from handlers.executor import FOLLOWUPS
from handlers.workspace_directory import SlackDirectory


def _run(request: ImportRoster, services, client, ctx, respond) -> None:
    text = _download(client, request.file_id)
    if text.startswith(":warning:"):
        answer = text
    else:
        answer = import_report(ctx.store, ctx.library, ctx.team_id or "", text, SlackDirectory(client), ctx.user_id,
                               ctx.now, request.confirm, request.file_id)
    if respond is not None:
        respond(text=answer, response_type="ephemeral")


def _download(client, file_id: str) -> str:
    """The file's text, or a ``:warning:`` line saying why it cannot be read (the bot token goes
    to Slack's own hosts only: ``slack_file_reader``)."""
    try:
        _name, raw = slack_file_reader(client)(file_id)
    except ValueError as exc:
        return f":warning: I can't read that file ({exc}): share it in this channel or with me, then copy its link again."
    if len(raw) > MAX_BYTES:
        return f":warning: That file is over {MAX_BYTES // 1_000_000} MB: split the roster."
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return ":warning: That file is not UTF-8 text: save the spreadsheet as CSV UTF-8 and share it again."


def register(app, services) -> None:
    """No listener of its own: ``/scep roster import`` asks for this follow-up (handlers.commands)."""
    FOLLOWUPS[ImportRoster] = _run
