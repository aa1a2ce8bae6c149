#!/usr/bin/env bash
# `make run`: build what is stale, start the action server, Rasa and the gateway, wait for /readyz,
# print the URL. Ctrl-C stops all three. Rasa and the action server listen on loopback only.
#   PORT (8000)         the gateway, the only public surface (HOST, default 127.0.0.1)
#   RASA_PORT (5005)    Rasa's REST channel, loopback
#   ACTIONS_PORT (5055) the Rasa action server, loopback
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
RASA=.venv-rasa/bin/rasa
PORT=${PORT:-8000}
HOST=${HOST:-127.0.0.1}
RASA_PORT=${RASA_PORT:-5005}
ACTIONS_PORT=${ACTIONS_PORT:-5055}
LOGS=var/run
MODEL=bot/models/baihua.tar.gz
mkdir -p "$LOGS"
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# the gateway reads .env itself; the action server needs the same INTERNAL_TOKEN, so export that one line
if [ -z "${INTERNAL_TOKEN:-}" ] && [ -f .env ]; then
  token=$(sed -n 's/^[[:space:]]*INTERNAL_TOKEN[[:space:]]*=[[:space:]]*//p' .env | tail -n 1)
  token=${token%\"}; token=${token#\"}; token=${token%\'}; token=${token#\'}
  [ -n "$token" ] && export INTERNAL_TOKEN="$token"
fi

say() { printf '[run] %s\n' "$*"; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

for p in "$PORT" "$RASA_PORT" "$ACTIONS_PORT"; do
  if port_busy "$p"; then echo "[run] port $p is already in use; set PORT / RASA_PORT / ACTIONS_PORT" >&2; exit 1; fi
done

$PY -m index check >/dev/null || { $PY -m index check; exit 1; }
$PY -m index build --if-stale
# the console's first admin, only when none exists: its one-time password is printed once, here
$PY -m api users bootstrap-admin | sed -n 's/^/[run] /; /already exists/!p' || true

groups=()  # one process group per part, so Ctrl-C stops children too
start() {  # start NAME LOGFILE CMD... : run in its own process group
  local name=$1 log=$2; shift 2
  setsid "$@" >"$log" 2>&1 &
  groups+=($!)
  say "$name started (pid $!, log $log)"
}
cleanup() {
  trap - INT TERM EXIT
  local g
  for g in "${groups[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
  for _ in $(seq 1 20); do
    local alive=0
    for g in "${groups[@]}"; do kill -0 -- "-$g" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.5
  done
  for g in "${groups[@]}"; do kill -KILL -- "-$g" 2>/dev/null || true; done
  say "stopped"
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

have_rasa=0
[ -x "$RASA" ] && [ -d bot ] && have_rasa=1

if [ "$have_rasa" = 1 ]; then
  # rasa_sdk binds SANIC_HOST (it has no host flag); the actions call the gateway for search and cases
  start "action server (127.0.0.1:$ACTIONS_PORT)" "$LOGS/actions.log" \
    env SANIC_HOST=127.0.0.1 GATEWAY_URL="http://127.0.0.1:$PORT" \
    bash -c "cd bot && exec ../$RASA run actions --actions actions -p $ACTIONS_PORT"
fi

start "gateway (http://$HOST:$PORT)" "$LOGS/gateway.log" \
  env RASA_URL="http://127.0.0.1:$RASA_PORT" \
  .venv/bin/uvicorn --factory api.main:create_app --host "$HOST" --port "$PORT" --log-level warning
GATEWAY=${groups[-1]}

if [ "$have_rasa" = 1 ]; then
  stale=$(find nlu_data bot/domain bot/config.yml -newer "$MODEL" -print -quit 2>/dev/null || true)
  if [ ! -f "$MODEL" ] || [ -n "$stale" ]; then
    say "training the Rasa model (make bot-train); the gateway answers from search meanwhile"
    make --no-print-directory bot-train >"$LOGS/bot-train.log" 2>&1 \
      || { say "training failed (see $LOGS/bot-train.log); serving without Rasa"; have_rasa=0; }
  fi
fi
if [ "$have_rasa" = 1 ] && [ -f "$MODEL" ]; then
  sed "s#127.0.0.1:5055#127.0.0.1:$ACTIONS_PORT#" bot/endpoints.yml >"$LOGS/endpoints.yml"
  endpoints=../$LOGS/endpoints.yml
  if [ -n "${TRACKER_DB_HOST:-}" ]; then  # shared state: PostgreSQL tracker + Redis lock store (TRACKER_DB_*, REDIS_*)
    endpoints=endpoints.shared.yml
    export ACTION_ENDPOINT_URL=${ACTION_ENDPOINT_URL:-http://127.0.0.1:$ACTIONS_PORT/webhook}
  fi
  start "Rasa (127.0.0.1:$RASA_PORT)" "$LOGS/rasa.log" \
    bash -c "cd bot && exec ../$RASA run -i 127.0.0.1 -p $RASA_PORT -m models/baihua.tar.gz \
      --credentials credentials.yml --endpoints $endpoints"
else
  say "Rasa is not available (.venv-rasa or a model missing): answers come from search (degraded)"
fi

# the gateway is up once /healthz answers; ready once /readyz does (index + database + Rasa)
for _ in $(seq 1 240); do
  curl -fsS "http://$HOST:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$GATEWAY" 2>/dev/null || { echo "[run] the gateway failed to start; see $LOGS/gateway.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "http://$HOST:$PORT/healthz" >/dev/null || { echo "[run] the gateway did not answer" >&2; exit 1; }

ready() { curl -fsS "http://$HOST:$PORT/readyz" >/dev/null 2>&1; }
for _ in $(seq 1 20); do ready && break; sleep 0.5; done
echo
say "open http://$HOST:$PORT/   (Ctrl-C stops everything)"
if ready; then
  say "ready: index, database and Rasa all answer"
else
  say "not fully ready yet: $(curl -s "http://$HOST:$PORT/readyz")"
  say "Rasa may still be loading (about a minute); until then the gateway answers from search (degraded)"
  if [ "$have_rasa" = 1 ]; then
    ( for _ in $(seq 1 600); do if ready; then say "ready: Rasa answers now"; exit 0; fi; sleep 2; done ) &
  fi
fi
wait "$GATEWAY" || true
say "the gateway exited; see $LOGS/gateway.log"
