#!/usr/bin/env bash
# First README command: install MOT into .venv, migrate, load the demo, serve on 127.0.0.1:8000.
# Embedded default: SQLite in ./data, Celery tasks run eagerly (no Redis needed).
# MOT_DEMO_LANGUAGE (en, pt-br, pt-pt, es or ro; default en) is the language the demo's journeys
# are created in.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh
echo "==> Installing MOT into .venv"
"$VENV_PY" -m pip install --quiet --disable-pip-version-check -e .
echo "==> Migrating the database"
"$VENV_PY" manage.py migrate --noinput -v0
echo "==> Loading the demo workspace"
"$VENV_PY" manage.py load_demo --url "http://127.0.0.1:8000/" --language "${MOT_DEMO_LANGUAGE:-en}"
echo "==> Serving on http://127.0.0.1:8000/ (Ctrl+C stops)"
exec "$VENV_PY" manage.py runserver 127.0.0.1:8000
