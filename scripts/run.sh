#!/usr/bin/env bash
# `make run`: build what is stale, then start every part that exists; Ctrl-C stops them all.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}

$PY -m index check >/dev/null || { $PY -m index check; exit 1; }
$PY -m index build --if-stale

pids=()
cleanup() {
  trap - INT TERM EXIT
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "[run] stopped"
}
trap cleanup INT TERM EXIT

if [ -f api/main.py ]; then
  .venv/bin/uvicorn --factory api.main:create_app --host "$HOST" --port "$PORT" --log-level warning &
  pids+=($!)
  for _ in $(seq 1 120); do
    if curl -fsS "http://$HOST:$PORT/healthz" >/dev/null 2>&1; then break; fi
    kill -0 "${pids[0]}" 2>/dev/null || { echo "[run] the gateway failed to start" >&2; exit 1; }
    sleep 0.5
  done
  curl -fsS "http://$HOST:$PORT/healthz" >/dev/null || { echo "[run] the gateway did not answer" >&2; exit 1; }
  echo "[run] gateway: http://$HOST:$PORT/   (Ctrl-C stops everything)"
  echo "[run] not started yet (their issues are open): Rasa server, action server"
  wait -n "${pids[@]}"
else
  echo "[run] the gateway (api/) does not exist yet, so there is no URL to open."
  echo "[run] the knowledge base is ready; try: $PY -m index search '社保卡丢了咋办'"
fi
