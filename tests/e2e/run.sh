#!/usr/bin/env bash
# Portcullis's pages in a real browser (tests/e2e/README.md): starts the provider on a fresh SQLite database,
# walks the pages in Debian's headless Chromium with playwright-core, runs axe-core on each and saves
# screenshots under docs/img/. Exit status non-zero on any failed step or accessibility violation.
# Usage: tests/e2e/run.sh   (env: E2E_BIN, default target/release/portcullis; CHROMIUM, default /usr/bin/chromium)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
bin=${E2E_BIN:-target/release/portcullis}; unset E2E_BIN
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
[ -x "$CHROMIUM" ] || { echo "no Chromium at $CHROMIUM (apt-get install -y chromium)" >&2; exit 1; }
[ -x "$bin" ] || cargo build --release --quiet --bin portcullis
(cd tests/e2e && npm ci --no-audit --no-fund --silent)

dir=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
SMTP_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export SMTP_PORT PORTCULLIS_EMAIL__ENABLED=true PORTCULLIS_EMAIL__SMTP_HOST=127.0.0.1 PORTCULLIS_EMAIL__SMTP_PORT=$SMTP_PORT \
  PORTCULLIS_EMAIL__TLS=none PORTCULLIS_EMAIL__FROM="Portcullis <no-reply@example.com>"
export PORTCULLIS_DATABASE__URL="sqlite://$dir/e2e.db" PORTCULLIS_ISSUER="http://127.0.0.1:$port" \
  PORTCULLIS_LISTEN="127.0.0.1:$port" PORTCULLIS_KEYS__MASTER_KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
  PORTCULLIS_LOG__LEVEL=warn
unset DATABASE_URL REDIS_URL
export ISSUER="http://127.0.0.1:$port" E2E_PASSWORD="correct horse battery staple 42" SCREENSHOTS="$root/docs/img"
printf '%s\n' "$E2E_PASSWORD" | "$bin" user add alice --name "Alice Liddell" --email alice@example.com \
  --email-verified --password-stdin >/dev/null
CLIENT_ID=$("$bin" client add "Example App" --public --redirect-uri "$ISSUER/dev/callback" \
  --post-logout-redirect-uri "$ISSUER/dev/callback" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
export CLIENT_ID
"$bin" serve --dev >"$dir/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; rm -rf "$dir"' EXIT
for _ in $(seq 1 100); do curl -sf "$ISSUER/healthz" >/dev/null && break; sleep 0.1; done
if ! node tests/e2e/walk.mjs; then
  echo "---- server log" >&2; tail -50 "$dir/server.log" >&2
  exit 1
fi
