#!/usr/bin/env bash
# The project's benchmark (bench/README.md): Portcullis (release build) and the reference provider
# (node-oidc-provider, the peer) driven by the same load driver (the peer's load.mjs) in one run on
# this machine, alternating which goes first; server CPU per verified response from /proc.
#
# Usage: bench/run.sh [--smoke] [--backend sqlite|postgres+redis] [--scale N] [--algs "ES256 RS256"]
#                     [--duration S] [--connections N] [--scenarios a,b,...] [--no-peer]
#   --smoke     a few seconds per scenario, ES256 only unless --algs; Portcullis alone when the peer is
#               not found; exits non-zero unless every scenario got verified answers (CI runs this).
#   --backend   sqlite (default: a fresh file) or postgres+redis (a fresh database on DATABASE_URL's
#               server, default postgres://postgres@127.0.0.1:5432, and REDIS_URL, default
#               redis://127.0.0.1:6379/, under a fresh key prefix).
#   --scale N   also run Portcullis with N users, token families and refresh tokens seeded
#               (`portcullis dev seed`), beside the run with 1,000.
# Env: PEER_DIR (else ../shared/peer, else /work/shared/peer), PEER_DEPS (node_modules for the peer and
# the driver, default /tmp/portcullis-peer-deps), BENCH_BIN (a portcullis binary to run instead of
# building the release one), RESULTS (default bench/RESULTS.md; the smoke run
# writes nothing unless RESULTS is set).
# Output: the table on stdout, bench/results/<stamp>/*.json (the driver's raw numbers), bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

smoke=0 backend=sqlite scale=0 algs="" duration="" conns=${LOAD_CONNECTIONS:-10} scenarios="" use_peer=1
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --backend) backend=$2; shift ;;
    --scale) scale=$2; shift ;;
    --algs) algs=$2; shift ;;
    --duration) duration=$2; shift ;;
    --connections) conns=$2; shift ;;
    --scenarios) scenarios=$2; shift ;;
    --no-peer) use_peer=0 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case "$backend" in sqlite|postgres+redis) ;; *) echo "--backend sqlite or postgres+redis" >&2; exit 2 ;; esac
if [ "$smoke" = 1 ]; then
  duration=${duration:-2}; algs=${algs:-ES256}
else
  duration=${duration:-${LOAD_DURATION:-10}}; algs=${algs:-"ES256 RS256"}
fi
export LOAD_CONNECTIONS=$conns LOAD_DURATION=$duration
[ -n "$scenarios" ] && export LOAD_SCENARIOS=$scenarios
scenarios=${LOAD_SCENARIOS:-discovery,jwks,cc,refresh,introspect,userinfo,codeflow,password}

# The peer and its driver: PEER_DIR, then ../shared/peer, then /work/shared/peer.
peer_dir=""
for d in "${PEER_DIR:-}" ../shared/peer /work/shared/peer; do
  if [ -n "$d" ] && [ -f "$d/load.mjs" ]; then peer_dir=$(cd "$d" && pwd); break; fi
done
if [ -z "$peer_dir" ]; then
  if [ "$smoke" = 1 ]; then
    echo "bench: no peer found (PEER_DIR, ../shared/peer, /work/shared/peer): smoke run with bench/smoke.py" >&2
  else
    echo "bench: the peer (load.mjs) is needed: set PEER_DIR" >&2; exit 1
  fi
  use_peer=0
fi
export PEER_DEPS=${PEER_DEPS:-/tmp/portcullis-peer-deps}
if [ -n "$peer_dir" ] && [ ! -d "$peer_dir/node_modules" ] && [ ! -d "$PEER_DEPS/node_modules" ]; then
  # load.mjs resolves its packages beside itself, then in $PEER_DEPS/node_modules (lib/deps.mjs).
  echo "bench: installing the driver's and the peer's packages into $PEER_DEPS (npm ci)" >&2
  mkdir -p "$PEER_DEPS"
  cp "$peer_dir/package.json" "$peer_dir/package-lock.json" "$PEER_DEPS/"
  (cd "$PEER_DEPS" && npm ci --no-audit --no-fund >/dev/null)
fi

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=bench/results/$stamp; mkdir -p "$out"
RP_PORT=4001
REDIRECT_URI="http://127.0.0.1:$RP_PORT/cb"
if [ -n "${BENCH_BIN:-}" ]; then
  # A binary given by the caller (CI's smoke run uses the test build: it checks that every scenario
  # still answers, not what it costs).
  bin=$BENCH_BIN
else
  bin=target/release/portcullis
  echo "bench: cargo build --release" >&2
  cargo build --release --quiet --bin portcullis
fi

wait_for() {
  for _ in $(seq 1 2000); do curl -sf -o /dev/null "$1" && return 0; sleep 0.005; done
  echo "not up: $1" >&2; return 1
}
now_ms() { date +%s%3N; }
rss_kib() { ps -o rss= -p "$1" | tr -d ' '; }
meta() { # meta FILE KEY VALUE: one line of facts about a run, read by bench/report.py
  echo "$2=$3" >>"$1"
}

# One Portcullis run: fresh database, one user, one client, `serve`, the driver. $1 = alg, $2 = users.
bench_portcullis() {
  local alg=$1 users=$2 name="portcullis-$1-$2" dir port=4100 pid db prefix=""
  dir=$(mktemp -d)
  local redis=""
  case "$backend" in
    sqlite) db="sqlite://$dir/bench.db" ;;
    postgres+redis)
      local base=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
      local dbname="portcullis_bench_${stamp,,}_${alg,,}_$users"
      psql "$base" -qc "DROP DATABASE IF EXISTS $dbname" -c "CREATE DATABASE $dbname" >/dev/null
      db="${base%/*}/$dbname"
      redis=${REDIS_URL:-redis://127.0.0.1:6379/}
      prefix="pcbench$RANDOM" ;;
  esac
  (
    unset DATABASE_URL REDIS_URL
    export PORTCULLIS_DATABASE__URL="$db" PORTCULLIS_ISSUER="http://127.0.0.1:$port" \
      PORTCULLIS_LISTEN="127.0.0.1:$port" PORTCULLIS_KEYS__MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
      PORTCULLIS_RATE_LIMIT__ATTEMPTS_PER_IP=100000000 PORTCULLIS_RATE_LIMIT__FAILURES_PER_USER=100000000 \
      PORTCULLIS_RATE_LIMIT__AUTHORIZE_PER_IP=100000000 PORTCULLIS_ARGON2__QUEUE_LIMIT=64 \
      PORTCULLIS_LOG__LEVEL=error PORTCULLIS_TOKENS__ACCESS_TOKEN_ALG="$alg"
    [ -n "$redis" ] && export PORTCULLIS_REDIS__URL="$redis" PORTCULLIS_REDIS__KEY_PREFIX="$prefix"
    echo 'wonderland' | "$bin" user add alice --password-stdin >/dev/null
    local json client_id secret
    json=$("$bin" client add bench --redirect-uri "$REDIRECT_URI" --first-party \
      --grant-type authorization_code --grant-type refresh_token --grant-type client_credentials \
      --grant-type password --json 2>/dev/null)
    client_id=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])' <<<"$json")
    secret=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])' <<<"$json")
    if [ "$users" -gt 1000 ]; then
      echo "bench: seeding $users users and token families" >&2
      "$bin" dev seed --users "$users" --families "$users" --client "$client_id" >&2
      # The seeded rows are hundreds of MB of dirty pages: let the kernel write them out before the
      # measured start, or the write-back slows every scenario of this server alike (JWKS too).
      # On PostgreSQL they are also in its own buffers, and the tables have no statistics yet: a
      # database that grew to this size has been vacuumed, analyzed and checkpointed, so do that
      # here rather than while the server is measured (autovacuum may be off, as on this project's machine).
      if [ "$backend" = postgres+redis ]; then
        psql "$db" -qc "VACUUM (ANALYZE) users, token_families, refresh_tokens" -c CHECKPOINT >&2
      fi
      sync; sleep 5
    elif [ "$users" -gt 1 ]; then
      "$bin" dev seed --users "$users" --families "$users" --client "$client_id" >/dev/null
    fi
    # A first start creates the signing keys (RSA generation); the start that counts is the next.
    "$bin" serve & pid=$!
    wait_for "http://127.0.0.1:$port/.well-known/openid-configuration"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    local started; started=$(now_ms)
    "$bin" serve & pid=$!
    wait_for "http://127.0.0.1:$port/.well-known/openid-configuration"
    local up_ms=$(( $(now_ms) - started ))
    sleep 1
    local rss_idle; rss_idle=$(rss_kib "$pid")
    echo "== $name (pid $pid, first discovery answer after $up_ms ms, RSS $rss_idle KiB idle)" >&2
    local rc=0
    drive "$name" "http://127.0.0.1:$port" "$client_id" "$secret" "$pid" || rc=$?
    meta "$out/$name.meta" start_ms "$up_ms"
    meta "$out/$name.meta" rss_idle_kib "$rss_idle"
    meta "$out/$name.meta" rss_after_kib "$(rss_kib "$pid")"
    sleep 5
    meta "$out/$name.meta" rss_settled_kib "$(rss_kib "$pid")"
    meta "$out/$name.meta" backend "$backend"
    meta "$out/$name.meta" users "$users"
    kill "$pid"; wait "$pid" 2>/dev/null || true
    exit $rc
  ) || { local rc=$?; cleanup_db; rm -rf "$dir"; return $rc; }
  cleanup_db
  rm -rf "$dir"
}
cleanup_db() {
  if [ "$backend" = postgres+redis ]; then
    psql "${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}" -qc \
      "DROP DATABASE IF EXISTS portcullis_bench_${stamp,,}_${alg,,}_$users" >/dev/null 2>&1 || true
  fi
}

# One peer run (its tokens are opaque: the same whatever alg Portcullis uses).
bench_peer() {
  local name="peer-$1" log pid secret=conf-client-secret-0123456789abcdef
  log=$(mktemp)
  local started; started=$(now_ms)
  PEER_CONF_CLIENT_SECRET=$secret PEER_PORT=4000 RP_PORT=$RP_PORT PEER_PASSWORD_GRANT=1 PEER_QUIET=1 \
    node "$peer_dir/peer.mjs" >"$log" 2>&1 & pid=$!
  wait_for "http://127.0.0.1:4000/.well-known/openid-configuration" || { cat "$log" >&2; kill "$pid"; return 1; }
  local up_ms=$(( $(now_ms) - started ))
  sleep 1
  local rss_idle; rss_idle=$(rss_kib "$pid")
  echo "== $name (pid $pid, first discovery answer after $up_ms ms, RSS $rss_idle KiB idle)" >&2
  local rc=0
  drive "$name" http://127.0.0.1:4000 conf-client "$secret" "$pid" || rc=$?
  meta "$out/$name.meta" start_ms "$up_ms"
  meta "$out/$name.meta" rss_idle_kib "$rss_idle"
  meta "$out/$name.meta" rss_after_kib "$(rss_kib "$pid")"
  sleep 5
  meta "$out/$name.meta" rss_settled_kib "$(rss_kib "$pid")"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  rm -f "$log"
  return $rc
}

# The same driver for both: $1 name, $2 issuer, $3 client_id, $4 secret, $5 server pid.
drive() {
  if [ -n "$peer_dir" ]; then
    ISSUER="$2" CLIENT_ID="$3" CLIENT_SECRET="$4" REDIRECT_URI="$REDIRECT_URI" USERNAME=alice PASSWORD=wonderland \
      SERVER_PIDS="$5" LOAD_JSON="$out/$1.json" node "$peer_dir/load.mjs" >&2
  else
    ISSUER="$2" CLIENT_ID="$3" CLIENT_SECRET="$4" REDIRECT_URI="$REDIRECT_URI" USERNAME=alice PASSWORD=wonderland \
      SERVER_PIDS="$5" LOAD_JSON="$out/$1.json" python3 bench/smoke.py >&2
  fi
}

status=0
round=0
for alg in $algs; do
  # Alternate which server goes first, round by round.
  if [ "$use_peer" = 1 ] && [ $((round % 2)) = 1 ]; then bench_peer "$alg" || status=1; fi
  bench_portcullis "$alg" 1 || status=1
  if [ "$use_peer" = 1 ] && [ $((round % 2)) = 0 ]; then bench_peer "$alg" || status=1; fi
  if [ "$scale" -gt 0 ]; then
    bench_portcullis "$alg" 1000 || status=1
    bench_portcullis "$alg" "$scale" || status=1
  fi
  round=$((round + 1))
done

report_args=(--dir "$out" --scenarios "$scenarios" --backend "$backend" --connections "$conns" --duration "$duration")
if [ "$smoke" = 1 ]; then
  python3 bench/report.py "${report_args[@]}" --check ${RESULTS:+--results "$RESULTS"} || status=1
else
  python3 bench/report.py "${report_args[@]}" --results "${RESULTS:-bench/RESULTS.md}" || status=1
fi
exit $status
