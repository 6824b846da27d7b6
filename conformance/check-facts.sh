#!/usr/bin/env bash
# Re-extracts conformance/facts/*.json from the vendor packages they name
# (fetched from npm and PyPI, checked against the SHA-256 below) and fails
# if the committed facts differ: the facts are what those versions say,
# not something edited by hand. To move to a newer SDK, change a version
# and its hash here, run this with --write, and read what
# tests/it/conformance.rs reports.
set -euo pipefail
cd "$(dirname "$0")/.."

CYBERSOURCE_NPM=cybersource-rest-client@0.0.83
CYBERSOURCE_SHA256=78f2fa8528b4cc177497816cc6ce50d33c591ab6c4410325109b9bbe9c1b48b0
CHECKOUT_PYPI=checkout-sdk==4.8.1
CHECKOUT_SHA256=2ca047808124f9778c6662f5f86b42b591f182a4a06648d47336fd635f69cd10

write=false
[ "${1:-}" = "--write" ] && write=true
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "$CYBERSOURCE_NPM" >/dev/null)
tgz=$(ls "$work"/cybersource-rest-client-*.tgz)
echo "$CYBERSOURCE_SHA256  $tgz" | sha256sum --check --quiet
mkdir "$work/cybersource" && tar -xzf "$tgz" -C "$work/cybersource"
python3 conformance/extract_cybersource.py "$work/cybersource/package" > "$work/cybersource.json"

python3 -m pip download --quiet --no-deps --only-binary :all: --dest "$work" "$CHECKOUT_PYPI"
whl=$(ls "$work"/checkout_sdk-*.whl)
echo "$CHECKOUT_SHA256  $whl" | sha256sum --check --quiet
python3 -m zipfile -e "$whl" "$work/checkout"
python3 conformance/extract_checkout.py "$work/checkout" > "$work/checkout.json"

status=0
for name in cybersource checkout; do
    if $write; then
        cp "$work/$name.json" "conformance/facts/$name.json"
    elif ! diff -q "$work/$name.json" "conformance/facts/$name.json" >/dev/null; then
        echo "conformance/facts/$name.json is not what the pinned package says: run conformance/check-facts.sh --write"
        status=1
    fi
done
[ $status -eq 0 ] && echo "conformance facts match $CYBERSOURCE_NPM and $CHECKOUT_PYPI"
exit $status
