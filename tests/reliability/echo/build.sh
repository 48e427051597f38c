#!/usr/bin/env bash
# Build echo.wasm (the component of wit/echo.wit over core.wat) into $1 (default: this directory).
# The tests build it on the fly (tests/reliability/component_props.py); this script is for looking at it.
set -euo pipefail
cd "$(dirname "$0")"
out=${1:-.}
tmp=$(mktemp -d)
wasm-tools parse core.wat -o "$tmp/core.wasm"
wasm-tools component embed wit "$tmp/core.wasm" -o "$tmp/embedded.wasm"
wasm-tools component new "$tmp/embedded.wasm" -o "$out/echo.wasm"
rm -rf "$tmp"
