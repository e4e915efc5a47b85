#!/usr/bin/env bash
# Second README command: install MOT with its dev extra into .venv and run the whole test suite.
# DATABASE_URL / REDIS_URL point the tests at PostgreSQL / Redis; without them, SQLite and eager
# tasks are used and tests that need the real services are skipped (with CI=true they fail).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
echo "==> Installing MOT and its test tools into .venv"
"$VENV_PY" -m pip install --quiet --disable-pip-version-check -e ".[dev]"
echo "==> Running the tests"
exec "$VENV_PY" -m pytest "$@"
