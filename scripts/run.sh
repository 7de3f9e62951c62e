#!/usr/bin/env bash
# Start the whole product: database schema, model (trained if the data changed), action server,
# Rasa server, model server, publish worker, web process, turn worker. `scripts/run.sh shell`
# starts the action server and Rasa's console instead; `scripts/run.sh cluster` runs
# Procfile.cluster on PostgreSQL and Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export TF_CPP_MIN_LOG_LEVEL=3 LOG_LEVEL_LIBRARIES=ERROR

if [ "${1:-}" = "cluster" ]; then
  # `make run-cluster`: Procfile.cluster on this machine's PostgreSQL and Redis (docs/deployment.md).
  export DATABASE_URL="${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/ubnd_cluster}"
  export REDIS_HOST="${REDIS_HOST:-127.0.0.1}" REDIS_PORT="${REDIS_PORT:-6379}" REDIS_PASSWORD="${REDIS_PASSWORD:-}"
  "$PY" - <<'PY'
import os, sys
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
url = make_url(os.environ["DATABASE_URL"])
try:
    with create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT").connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": url.database}).first():
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
except Exception as exc:
    sys.exit(f"make run-cluster needs PostgreSQL at {url.render_as_string()}: {exc}")
PY
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" ping >/dev/null 2>&1 || { echo "make run-cluster needs Redis at $REDIS_HOST:$REDIS_PORT"; exit 1; }
fi
"$PY" -m bot check
"$PY" -m bot migrate
model="${BOT_MODEL:-$("$PY" -m bot model)}"  # BOT_MODEL: a model file to run instead
mkdir -p var
# Secrets live in files only this user reads and reach the processes through the environment,
# never the command line (`ps` shows that to everyone): Rasa's HTTP API token (loading a newly
# published model) and the action server's shared secret with Rasa (endpoints.yml).
secret() {
  [ -s "var/$1" ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "var/$1")
  cat "var/$1"
}
RASA_TOKEN="${RASA_TOKEN:-$(secret rasa_token)}"
ACTION_SERVER_TOKEN="${ACTION_SERVER_TOKEN:-$(secret action_token)}"
MODEL_SERVER_TOKEN="${MODEL_SERVER_TOKEN:-$(secret model_token)}"
# Everything listens on 127.0.0.1; a deployment on several machines sets these (docs/deployment.md).
export RASA_TOKEN ACTION_SERVER_TOKEN MODEL_SERVER_TOKEN RASA_URL="${RASA_URL:-http://127.0.0.1:5005}"
export RASA_HOST="${RASA_HOST:-127.0.0.1}" ACTIONS_HOST="${ACTIONS_HOST:-127.0.0.1}"
if [ "${1:-}" = "cluster" ]; then
  export ACTION_SERVER_URL="http://127.0.0.1:5055/webhook" MODEL_SERVER_URL="http://127.0.0.1:5058/model"
  export RASA_URLS="http://127.0.0.1:5005,http://127.0.0.1:5006" INBOUND_WAKE="" STARTER_MODEL="$model"
  export ZALO_SIM_WEBHOOK_URL="http://127.0.0.1:8010/webhooks/zalo/webhook"
  cat <<MSG
  2 receivers behind http://localhost:8010 (Zalo webhook: /webhooks/zalo/webhook), 2 turn workers,
  2 Rasa servers (:5005, :5006; trackers in ${DATABASE_URL}, locks in Redis $REDIS_HOST:$REDIS_PORT),
  action server :5055, model server :5058, publish worker, web http://localhost:8000 (simulator: /zalo-sim/)
  Ctrl-C stops everything.
MSG
  exec "$PY" -m processes.supervise Procfile.cluster
fi
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; }
trap stop EXIT INT TERM

"$PY" -m actions.server >var/actions.log 2>&1 &
pids+=($!)

# Rasa pulls its model from here (endpoints.yml `models:`): the live release's, else $model.
"$PY" -m bot.faq.model_server >var/model_server.log 2>&1 &
pids+=($!)

# The publish worker (processes/publisher.py): trains, gates and puts live the releases editors
# queue with "Xuất bản" on the web pages.
"$PY" -m processes.publisher >var/publisher.log 2>&1 &
pids+=($!)

# The web process (processes/web.py): the officers' inbox and the other staff pages, the Zalo simulator
# (when no real Zalo app is configured) and, on one machine, Zalo's webhook receiver route: verify,
# store in the inbound ledger, 200 at once. It wakes the turn worker with a datagram on its port.
export INBOUND_WAKE="${INBOUND_WAKE:-127.0.0.1:5061}"
"$PY" -m processes.web --host 127.0.0.1 --port 8000 >var/web.log 2>&1 &
pids+=($!)

# The turn worker (processes/worker.py): takes each citizen's stored events in order, one turn each
# through Rasa, and sends the replies. `make run-cluster` runs several (Procfile.cluster).
"$PY" -m processes.worker --wake-port "${INBOUND_WAKE##*:}" >var/worker.log 2>&1 &
pids+=($!)

# `--model` serves Rasa's console; `rasa run` takes the model server's (endpoints.yml `models:`).
rasa_args=(--model "$model" --endpoints endpoints.yml --credentials credentials.yml)
if [ "${1:-}" = "shell" ]; then
  "$PY" -m rasa shell "${rasa_args[@]}"
  exit
fi

"$PY" -m connectors.serve_rasa "${rasa_args[@]}" --enable-api --port 5005 >var/rasa.log 2>&1 &
pids+=($!)
echo "starting the Rasa server (model ${model##*/}); logs in var/rasa.log and var/actions.log"
# The Zalo channel's health route needs no token and says "ok" once the model is loaded.
for _ in $(seq 1 180); do
  curl -fs http://127.0.0.1:5005/webhooks/zalo/ >/dev/null 2>&1 && break
  sleep 1
done
cat <<MSG

  Rasa server      http://localhost:5005  (REST: /webhooks/rest/webhook; Zalo turns from the turn worker, var/worker.log)
  Action server    http://localhost:5055/health
  Web              http://localhost:8000  (Zalo webhook: /webhooks/zalo/webhook)
  Officers' inbox  http://localhost:8000/inbox/   (first admin: .venv/bin/python -m bot create-admin admin)
  Database         ${DATABASE_URL:-sqlite:///var/bot.db}
MSG
if [ -z "${ZALO_APP_ID:-}" ]; then cat <<MSG
  Zalo simulator   http://localhost:8000/zalo-sim/   <- open this to chat as a citizen on "Zalo"
MSG
else cat <<MSG
  Zalo OA          app ${ZALO_APP_ID}: point the app's webhook at https://<your-domain>/webhooks/zalo/webhook
MSG
fi
cat <<MSG

  Chat from a terminal:
    curl -s localhost:5005/webhooks/rest/webhook -H 'Content-Type: application/json' \\
      -d '{"sender": "cong-dan-1", "message": "cho hỏi làm căn cước cho con 10 tuổi ở đâu"}'
    (a REST sender is "rest:cong-dan-1" in the inbox; with ZALO_APP_ID set, REST needs RASA_REST_TOKEN)
  or open Rasa's console with: make shell

  Ctrl-C stops everything.
MSG
wait -n "${pids[@]}"
