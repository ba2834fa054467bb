#!/usr/bin/env bash
# The project's benchmark: Portcullis (release build, SQLite) and the reference provider
# (node-oidc-provider, ../shared/peer) driven by the same load driver in one run on this machine.
# Usage: bench/run.sh [portcullis|peer|both]   (env: LOAD_CONNECTIONS, LOAD_DURATION, LOAD_SCENARIOS)
# Results: bench/results/<name>-<date>.json (raw numbers from the driver) and the driver's table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-both}
PEER_DIR=${PEER_DIR:-$(cd ../shared/peer && pwd)}
PEER_DEPS=${PEER_DEPS:-/tmp/portcullis-peer-deps}
export PEER_DEPS LOAD_CONNECTIONS=${LOAD_CONNECTIONS:-10} LOAD_DURATION=${LOAD_DURATION:-10}
RP_PORT=4001
REDIRECT_URI="http://127.0.0.1:$RP_PORT/cb"
out=bench/results; mkdir -p "$out"; stamp=$(date -u +%Y%m%dT%H%M%SZ)

if [ ! -d "$PEER_DEPS/node_modules" ]; then
  mkdir -p "$PEER_DEPS"
  cp "$PEER_DIR/package.json" "$PEER_DIR/package-lock.json" "$PEER_DEPS/"
  (cd "$PEER_DEPS" && npm ci --no-audit --no-fund >/dev/null)
fi

wait_for() { for _ in $(seq 1 100); do curl -sf "$1" >/dev/null && return 0; sleep 0.1; done; echo "not up: $1" >&2; return 1; }

bench_portcullis() {
  cargo build --release --quiet
  local bin=target/release/portcullis dir port
  dir=$(mktemp -d); port=4100
  export PORTCULLIS_DATABASE__URL="sqlite://$dir/bench.db" PORTCULLIS_ISSUER="http://127.0.0.1:$port" \
    PORTCULLIS_LISTEN="127.0.0.1:$port" PORTCULLIS_KEYS__MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
    PORTCULLIS_RATE_LIMIT__ATTEMPTS_PER_IP=100000000 PORTCULLIS_LOG__LEVEL=warn
  unset DATABASE_URL REDIS_URL
  echo 'wonderland' | "$bin" user add alice --password-stdin >/dev/null
  local secret
  secret=$("$bin" client add bench --redirect-uri "$REDIRECT_URI" --first-party \
    --grant-type authorization_code --grant-type refresh_token --grant-type client_credentials \
    --grant-type password --json 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
  local client_id
  client_id=$("$bin" client list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["client_id"])')
  "$bin" serve & local pid=$!
  wait_for "http://127.0.0.1:$port/healthz"
  echo "== portcullis (pid $pid, RSS $(ps -o rss= -p $pid) KiB at start)"
  ISSUER="http://127.0.0.1:$port" CLIENT_ID="$client_id" CLIENT_SECRET="$secret" REDIRECT_URI="$REDIRECT_URI" \
    USERNAME=alice PASSWORD=wonderland SERVER_PIDS="$pid" LOAD_JSON="$out/portcullis-$stamp.json" \
    node "$PEER_DIR/load.mjs" || true
  echo "portcullis RSS after: $(ps -o rss= -p $pid) KiB"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

bench_peer() {
  local log; log=$(mktemp)
  PEER_CONF_CLIENT_SECRET=conf-client-secret-0123456789abcdef PEER_PORT=4000 RP_PORT=$RP_PORT PEER_PASSWORD_GRANT=1 PEER_QUIET=1 node "$PEER_DIR/peer.mjs" >"$log" 2>&1 & local pid=$!
  wait_for "http://127.0.0.1:4000/.well-known/openid-configuration"
  local secret=conf-client-secret-0123456789abcdef
  echo "== peer (pid $pid)"
  ISSUER=http://127.0.0.1:4000 CLIENT_ID=conf-client CLIENT_SECRET="$secret" REDIRECT_URI="$REDIRECT_URI" \
    USERNAME=alice PASSWORD=wonderland SERVER_PIDS="$pid" LOAD_JSON="$out/peer-$stamp.json" \
    node "$PEER_DIR/load.mjs" || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

case "$which" in
  portcullis) bench_portcullis ;;
  peer) bench_peer ;;
  both) bench_portcullis; bench_peer ;;
esac
