#!/usr/bin/env bash
# Resolve requirements.lock (exact versions, every extra, any platform, Python >= 3.11) from pyproject.toml.
#   tools/lock.sh              keep today's pins where pyproject.toml still allows them (after adding a dependency)
#   tools/lock.sh --upgrade    move every package to its newest release, then install the new lock in a fresh
#                              virtual environment and run ruff and the test suite there; the old lock is kept in
#                              requirements.lock.previous, so moving forward is a decision: commit the new lock
#                              only when the suite passes (restore with: mv requirements.lock.previous requirements.lock)
# The lock is a pip constraints file: the README's commands install from it with plain pip (`pip install -c ...`).
# uv resolves it (fast, and universal: one file for every platform); it is not needed to install.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v uv >/dev/null 2>&1 || python3 -m pip install -q uv
UPGRADE=()
[ "${1:-}" = "--upgrade" ] && { UPGRADE=(--upgrade); cp requirements.lock requirements.lock.previous; }
uv pip compile pyproject.toml --all-extras --universal --python-version 3.11 -q "${UPGRADE[@]}" \
  --custom-compile-command "tools/lock.sh" -o requirements.lock
echo "lock: requirements.lock written ($(grep -c '==' requirements.lock) pins)"
[ "${1:-}" = "--upgrade" ] || exit 0
VENV=$(mktemp -d /tmp/bienestar-upgrade-XXXXXX)
trap 'rm -rf "$VENV"' EXIT
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q -c requirements.lock -e '.[dev]'
"$VENV/bin/python" -m ruff check .
"$VENV/bin/python" -m pytest
diff <(grep '==' requirements.lock.previous) <(grep '==' requirements.lock) || true
echo "lock: the suite passes on the upgraded lock; commit requirements.lock to move forward"
