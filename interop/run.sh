#!/usr/bin/env bash
# The vendors' official SDKs, unmodified, against the payclient-sandbox
# binary: PyPI cybersource-rest-client-python 0.0.80 and checkout-sdk 4.8.1
# (interop/requirements-*.txt, hash-pinned, one venv each), npm
# cybersource-rest-client 0.0.83 and checkout-sdk-node 5.2.1
# (interop/package-lock.json). Each script gets only the base URL and
# credentials the sandbox prints, and the sandbox is reset between scripts.
# Needs python3, node and npm, and the package registries; run from
# anywhere: `interop/run.sh`.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
# Every request goes to loopback, never through a proxy a CI sets.
export NO_PROXY=127.0.0.1,localhost,::1 no_proxy=127.0.0.1,localhost,::1

work=$(mktemp -d)
sandbox=
stop_sandbox() {
    if [ -n "$sandbox" ] && kill "$sandbox" 2>/dev/null; then
        # SIGTERM ends it gracefully; a stuck one is killed after 10 s.
        for _ in $(seq 100); do
            kill -0 "$sandbox" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$sandbox" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop_sandbox EXIT

echo "--- installing the official SDKs (pinned)"
for sdk in cybersource checkout; do
    python3 -m venv "$target/interop-$sdk-venv"
    "$target/interop-$sdk-venv/bin/pip" install --quiet --disable-pip-version-check \
        --require-hashes -r "interop/requirements-$sdk.txt"
done
(cd interop && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)

echo "--- building and starting payclient-sandbox"
cargo build --quiet --locked -p payclient-sandbox --bin payclient-sandbox
"$target/debug/payclient-sandbox" --port 0 --write-keys "$work/keys" >"$work/env" &
sandbox=$!
# The last line it prints says it is ready.
for _ in $(seq 100); do
    grep -q '^# sandbox values' "$work/env" && break
    kill -0 "$sandbox" 2>/dev/null || { echo "payclient-sandbox exited"; cat "$work/env"; exit 1; }
    sleep 0.1
done
grep -q '^# sandbox values' "$work/env" || { echo "payclient-sandbox did not start"; exit 1; }
set -a
# shellcheck disable=SC1091
. "$work/env"
set +a

reset_sandbox() {
    "$target/interop-checkout-venv/bin/python" -c 'import os, urllib.request
urllib.request.urlopen(urllib.request.Request(os.environ["SANDBOX_INSPECTION_URL"] + "/reset", method="POST"), timeout=10).read()'
}

failed=0
run() {
    echo "--- $*"
    reset_sandbox
    if ! "$@"; then
        failed=$((failed + 1))
        echo "FAILED: $*"
    fi
}
run "$target/interop-cybersource-venv/bin/python" interop/cybersource_sdk.py
run "$target/interop-checkout-venv/bin/python" interop/checkout_sdk.py
run node interop/cybersource_sdk.js
run node interop/checkout_sdk.js

if [ "$failed" -ne 0 ]; then
    echo "$failed interoperability script(s) failed"
    exit 1
fi
echo "--- the four official SDKs agree with payclient-sandbox"
