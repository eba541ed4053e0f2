#!/usr/bin/env bash
# Create .venv with Python 3.11+ and install SPOC Desk with its test tools, from the project's
# own files. Safe to run again: it only installs what is missing or changed.
set -euo pipefail
cd "$(dirname "$0")/.."

pick_python() {
  for candidate in "${PYTHON:-}" python3.11 python3.12 python3.13 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "setup: Python 3.11 or newer is needed (set PYTHON=/path/to/python3.11)" >&2
  return 1
}

if [ ! -x .venv/bin/python ]; then
  "$(pick_python)" -m venv .venv
fi
# pip's own chatter goes to a log; it is shown only if the install fails.
log=.venv/setup.log
if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip &&
       .venv/bin/python -m pip install --disable-pip-version-check -e '.[test,dev]'; } >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "setup: installing SPOC Desk failed; the whole log is in $log" >&2
  exit 1
fi
