#!/usr/bin/env bash
# `make bench` part: how long a full Rasa training takes on this machine (forced, into a temp folder; deterministic
# ops, as `make bot-train` trains).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
(cd bot && TF_DETERMINISTIC_OPS=1 ../.venv-rasa/bin/rasa train --force --domain domain --data ../nlu_data --config config.yml \
  --out "$out" --fixed-model-name bench --quiet >"$out/train.log" 2>&1) || { tail -20 "$out/train.log" >&2; exit 1; }
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v c="$(nproc)" 'BEGIN { printf "{\"rasa_train_s\": %.1f, \"cores\": %d}\n", e - s, c }'
