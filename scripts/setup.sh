#!/usr/bin/env bash
# Create both Python environments and the offline model; idempotent and quiet when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '[setup] %s\n' "$*"; }

stamp_ok() {  # stamp_ok VENV FILE... : true when VENV was installed from exactly these files
  local venv=$1; shift
  [ -f "$venv/.stamp" ] && [ "$(cat "$@" | sha256sum | cut -c1-16)" = "$(cat "$venv/.stamp")" ]
}
stamp_write() { local venv=$1; shift; cat "$@" | sha256sum | cut -c1-16 > "$venv/.stamp"; }

find_python() {  # find_python VERSION ENVVAR
  local ver=$1 var=$2 cand
  if [ -n "${!var:-}" ]; then echo "${!var}"; return; fi
  for cand in "python$ver" "$(pyenv root 2>/dev/null)/versions/$ver"*/bin/"python$ver" /usr/bin/"python$ver"; do
    if "$cand" -c 'import sys' >/dev/null 2>&1; then command -v "$cand" || echo "$cand"; return; fi
  done
  return 1
}

PY311=$(find_python 3.11 PYTHON311) || { echo "setup: Python 3.11 not found; install it or set PYTHON311=/path/to/python3.11" >&2; exit 1; }
PY310=$(find_python 3.10 PYTHON310) || { echo "setup: Python 3.10 not found (Rasa 3.6 needs it); install it or set PYTHON310=/path/to/python3.10" >&2; exit 1; }

export PIP_DISABLE_PIP_VERSION_CHECK=1
# .venv gets all three sets: requirements.txt (what the gateway image runs), requirements-build.txt (which
# includes it, plus the model conversion: transformers, sentence-transformers, onnx) and requirements-dev.txt.
# civic/ (rules both venvs share) is installed editable by a line in requirements.txt and
# requirements-rasa.txt; its pyproject.toml is stamped too, so a change to its packaging reinstalls it
VENV_FILES=(requirements.txt requirements-build.txt requirements-dev.txt civic/pyproject.toml)
if ! stamp_ok .venv "${VENV_FILES[@]}"; then
  say ".venv (Python 3.11): installing torch 2.13.0 CPU, then the app's packages (a few minutes the first time)"
  [ -x .venv/bin/python ] || "$PY311" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/pip install -q torch==2.13.0 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/pip install -q -r requirements-build.txt -r requirements-dev.txt 2>&1 | grep -v "^WARNING: Location" || true
  .venv/bin/python -c "import torch, sentence_transformers, onnxruntime, faiss, bm25s, fastapi" \
    && .venv/bin/pip show -q baihua-civic || { echo "setup: .venv is incomplete (see pip output above)" >&2; exit 1; }
  stamp_write .venv "${VENV_FILES[@]}"
else
  say ".venv up to date"
fi

if ! stamp_ok .venv-rasa requirements-rasa.txt civic/pyproject.toml; then
  say ".venv-rasa (Python 3.10): installing rasa 3.6.21 (several minutes the first time)"
  [ -x .venv-rasa/bin/python ] || "$PY310" -m venv .venv-rasa
  .venv-rasa/bin/pip install -q -r requirements-rasa.txt 2>&1 | grep -v -e "^WARNING: Location" -e DEPRECATION || true
  # from bot/, where the action server runs: civic must come from the venv there, not from the root
  (cd bot && ../.venv-rasa/bin/python -c "import rasa, rasa_sdk, jieba, civic.phone") \
    || { echo "setup: .venv-rasa is incomplete (see pip output above)" >&2; exit 1; }
  stamp_write .venv-rasa requirements-rasa.txt civic/pyproject.toml
else
  say ".venv-rasa up to date"
fi

# browser tests (Playwright for Python) drive Debian's chromium: no browser download, ever
# (plus a CJK font, so screenshots under var/screenshots show Chinese rather than empty boxes)
if { [ ! -x /usr/bin/chromium ] || [ ! -d /usr/share/fonts/truetype/wqy ]; } && command -v apt-get >/dev/null 2>&1; then
  say "installing Debian's chromium and a CJK font for the browser tests"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei; } >/dev/null 2>&1 \
    || say "chromium could not be installed: the browser tests will be skipped"
fi

.venv/bin/python -m index model --if-missing
