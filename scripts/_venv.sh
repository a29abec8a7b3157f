# Sourced by scripts/serve and scripts/test: make .venv with Python 3.11+ and install the project.
VENV="${VENV:-.venv}"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [ ! -x "$VENV/bin/python" ]; then
    "$PYTHON" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip 2>/dev/null || true
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -e ".${EXTRAS:+[$EXTRAS]}" 2>&1 \
    | grep -v "WARNING: Location" || true
"$VENV/bin/python" -c "import timebank, flask" || { echo "install failed" >&2; exit 1; }
