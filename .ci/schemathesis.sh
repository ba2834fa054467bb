#!/usr/bin/env bash
# Fuzzes the admin API (docs/admin-api.md) with schemathesis: a portcullis server on SQLite in a temporary
# folder, an admin client made with the CLI, a token from client_credentials, then every operation of
# /admin/api/openapi.json with generated input. Fails on any 5xx and on any answer whose status or body is not
# the one the document describes. The stateful phase follows the document's response links (a created client,
# user, group or API into the operations on it by id), so the fuzzing reaches behind id-based operations.
# `--max-time 120`: fuzzing and stateful scenarios repeat for two minutes (the whole run stays near three).
# `--suppress-health-check=filter_too_much`: hypothesis's check on its own generator, which gives up on an
# operation when too many generated values are thrown away before a request is sent (schemathesis drops path
# parameters it cannot put into a URL path, e.g. with a "/"). It failed one run in two on this machine for
# DELETE /groups/{name}/members/{user_id} (two free-form path parameters) with every request answered
# correctly; it says nothing about the server, and every check on the server's answers stays.
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
python3 -m pip install --quiet "schemathesis==${SCHEMATHESIS_VERSION}"

cargo build --release --quiet --bin portcullis
bin="$PWD/target/release/portcullis"

work=$(mktemp -d)
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
issuer="http://127.0.0.1:${port}"
export PORTCULLIS_DATABASE__URL="sqlite://${work}/portcullis.db"
export PORTCULLIS_KEYS__MASTER_KEY=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
export PORTCULLIS_ISSUER="$issuer"
export PORTCULLIS_LISTEN="127.0.0.1:${port}"
export PORTCULLIS_ARGON2__MEMORY_KIB=64
export PORTCULLIS_ARGON2__ITERATIONS=1
export PORTCULLIS_LOG__LEVEL=warn
unset DATABASE_URL REDIS_URL PORTCULLIS_CONFIG

client=$("$bin" client add schemathesis --grant-type client_credentials --scope portcullis:admin --json)
client_id=$(printf '%s' "$client" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
client_secret=$(printf '%s' "$client" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')

"$bin" serve >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
  curl -fsS "$issuer/healthz" >/dev/null 2>&1 && break
  sleep 1
done
curl -fsS "$issuer/healthz" >/dev/null

token=$(curl -fsS -u "${client_id}:${client_secret}" "$issuer/token" \
  -d grant_type=client_credentials -d scope=portcullis:admin |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')

status=0
# From the temporary folder: schemathesis keeps its cache in the current directory.
cd "$work"
schemathesis run "$issuer/admin/api/openapi.json" \
  --header "Authorization: Bearer ${token}" \
  --phases=examples,coverage,fuzzing,stateful \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance \
  --max-examples 20 \
  --max-time 120 \
  --seed 20261127 \
  --suppress-health-check=filter_too_much \
  || status=$?
if [ "$status" -ne 0 ]; then
  echo "schemathesis found problems; the server's log:" >&2
  tail -n 50 "$work/server.log" >&2
fi
exit "$status"
