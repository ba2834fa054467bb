#!/usr/bin/env bash
# Build time (bench/README.md): the README's second command, `cargo test --release`, compiles only the tests on
# top of the first command's release build. That holds while no test-only crate turns on a crate or feature the
# server's build lacks. Run after `cargo test --release`: a release build of the server must then find every
# dependency already compiled; a dependency compiled again fails this check, with its name.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --bin portcullis --message-format=json | python3 -c '
import json, sys
rebuilt = sorted({
    m["package_id"].rsplit("#", 1)[-1]
    for m in map(json.loads, sys.stdin)
    if m.get("reason") == "compiler-artifact" and not m["fresh"] and "#portcullis@" not in m["package_id"]
})
if rebuilt:
    print("the server build compiled again what the test build had compiled with other features:", ", ".join(rebuilt))
    print("a dev-dependency turns on a crate or feature the server lacks (docs/architecture.md, Tests)")
    sys.exit(1)
print("the test build and the server build share every compiled dependency")
'
