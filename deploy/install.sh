#!/bin/sh
# Install scep-bot (without its test tools) into a virtual environment at PREFIX.
# The Dockerfile runs exactly this, and so does CI (.ci/run), so the image's install is tested.
#   deploy/install.sh /opt/scep-bot      # then /opt/scep-bot/bin/scep-bot
set -eu
PREFIX="${1:?usage: deploy/install.sh PREFIX}"
SRC="$(cd "$(dirname "$0")/.." && pwd)"
python3 -m venv "$PREFIX"
"$PREFIX/bin/pip" install --no-cache-dir --disable-pip-version-check -q "$SRC"
"$PREFIX/bin/scep-bot" cycles list >/dev/null  # the installed command runs and finds its cycle files
