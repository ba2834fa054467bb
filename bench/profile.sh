#!/usr/bin/env bash
# Profiles of Portcullis under the benchmark's load (bench/README.md, "Profiles"): for each scenario,
# `perf record` of the release server while the peer's load.mjs drives it, then the top of
# `perf report` (self time by symbol, and by shared object) into bench/profiles/<scenario>.txt.
# Usage: bench/profile.sh [scenario ...]   (default: cc refresh introspect userinfo codeflow)
# Env: ALG (access-token algorithm, default ES256), LOAD_DURATION (default 8), PEER_DIR, PEER_DEPS.
set -eu
cd "$(dirname "$0")/.."
command -v perf >/dev/null || { echo "perf is needed (apt-get install -y linux-perf)" >&2; exit 1; }
scenarios=${*:-cc refresh introspect userinfo codeflow}
alg=${ALG:-ES256}
peer_dir=""
for d in "${PEER_DIR:-}" ../shared/peer /work/shared/peer; do
  if [ -n "$d" ] && [ -f "$d/load.mjs" ]; then peer_dir=$(cd "$d" && pwd); break; fi
done
[ -n "$peer_dir" ] || { echo "the peer's load.mjs is needed: set PEER_DIR" >&2; exit 1; }
export PEER_DEPS=${PEER_DEPS:-/tmp/portcullis-peer-deps} LOAD_CONNECTIONS=${LOAD_CONNECTIONS:-10}
export LOAD_DURATION=${LOAD_DURATION:-8}
cargo build --release --quiet --bin portcullis
bin=target/release/portcullis port=4100 dir=$(mktemp -d) out=bench/profiles
mkdir -p "$out"
unset DATABASE_URL REDIS_URL
export PORTCULLIS_DATABASE__URL="sqlite://$dir/bench.db" PORTCULLIS_ISSUER="http://127.0.0.1:$port" \
  PORTCULLIS_LISTEN="127.0.0.1:$port" PORTCULLIS_KEYS__MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
  PORTCULLIS_RATE_LIMIT__ATTEMPTS_PER_IP=100000000 PORTCULLIS_RATE_LIMIT__AUTHORIZE_PER_IP=100000000 \
  PORTCULLIS_ARGON2__QUEUE_LIMIT=64 PORTCULLIS_LOG__LEVEL=error PORTCULLIS_TOKENS__ACCESS_TOKEN_ALG="$alg"
echo 'wonderland' | "$bin" user add alice --password-stdin >/dev/null
json=$("$bin" client add bench --redirect-uri http://127.0.0.1:4001/cb --first-party --grant-type authorization_code \
  --grant-type refresh_token --grant-type client_credentials --grant-type password --json 2>/dev/null)
client_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])' <<<"$json")
secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])' <<<"$json")
"$bin" serve & pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 200); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.05; done
for s in $scenarios; do
  # The driver's setup (logins) runs first; perf records the measured window only, roughly.
  ISSUER="http://127.0.0.1:$port" CLIENT_ID="$client_id" CLIENT_SECRET="$secret" REDIRECT_URI=http://127.0.0.1:4001/cb \
    USERNAME=alice PASSWORD=wonderland SERVER_PIDS="$pid" LOAD_SCENARIOS="$s" node "$peer_dir/load.mjs" >"$out/$s.load.txt" 2>&1 &
  driver=$!
  sleep 2
  perf record -q -F 499 -g -p "$pid" -o "$out/$s.perf.data" -- sleep $((LOAD_DURATION - 3)) 2>/dev/null
  wait "$driver" || true
  {
    echo "# $s ($alg access tokens): $(grep -E "^$s " "$out/$s.load.txt" | head -1)"
    echo
    echo "## self time by shared object"
    perf report -q -i "$out/$s.perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^$' | head -8 | cut -c1-100 | sed 's/ *$//' || true
    echo
    echo "## self time by symbol"
    perf report -q -i "$out/$s.perf.data" --no-children --sort symbol --stdio -g none 2>/dev/null | grep -v '^$' | head -30 | cut -c1-110 | sed 's/ *$//' || true
  } >"$out/$s.txt"
  rm -f "$out/$s.perf.data"
  echo "profile: $out/$s.txt" >&2
done
