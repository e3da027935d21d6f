#!/usr/bin/env bash
# Serve each named service on 127.0.0.1, ports from 8001 up; Ctrl-C (or SIGTERM) stops all.
set -euo pipefail
VENV_BIN=${VENV_BIN:-.venv/bin}
MODEL_DIR=${MODEL_DIR:-models}
port=${BASE_PORT:-8001}
pids=()
stop() {
  trap - INT TERM EXIT
  # Each pid is a server process itself (no wrapper), so SIGTERM reaches uvicorn directly.
  [[ ${#pids[@]} -gt 0 ]] && kill -TERM "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM EXIT
for service in "$@"; do
  if [[ ! -f "$MODEL_DIR/$service/model.npz" ]]; then
    echo "serve-local: no model at $MODEL_DIR/$service/model.npz; run 'make train' first" >&2
    exit 2
  fi
  # AUTH=open: a development server on loopback, explicitly without keys.
  AUTH=${AUTH:-open} MODEL_DIR=$MODEL_DIR PORT=$port "$VENV_BIN/$service" serve &
  pids+=($!)
  echo "$service: http://127.0.0.1:$port/docs  (also under /$service/)"
  port=$((port + 1))
done
# Returns when any server exits (or a signal arrives); the EXIT trap stops the others.
wait -n "${pids[@]}"
