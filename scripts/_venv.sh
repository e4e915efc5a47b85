# Sourced by dev.sh and test.sh: find Python >= 3.11 and make .venv with it.
PYTHON_BIN="${PYTHON:-}"
if [ -z "$PYTHON_BIN" ]; then
  for candidate in python3 python3.13 python3.12 python3.11; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      PYTHON_BIN="$candidate"
      break
    fi
  done
fi
if [ -z "$PYTHON_BIN" ]; then
  echo "MOT needs Python 3.11 or newer (none found as python3, python3.11..3.13)." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "==> Creating .venv with $("$PYTHON_BIN" --version)"
  if ! "$PYTHON_BIN" -m venv .venv; then
    rm -rf .venv
    echo "Could not create a virtual environment. On Debian/Ubuntu install the venv module:" >&2
    echo "  sudo apt-get install python3-venv" >&2
    exit 1
  fi
  .venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
fi
VENV_PY=.venv/bin/python
