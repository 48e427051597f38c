#!/usr/bin/env python3
"""Copy the WIT doc comments of one world into a component as a `package-docs` custom section.

`wasm-tools component embed` / `component new` drop WIT doc comments: they live in a `package-docs` custom
section that only WIT *package* binaries carry. This script takes that section from
`wasm-tools component wit --wasm WIT_DIR` and appends it to the component, re-keyed from WORLD to `root`
(the world name `wasm-tools component wit` gives a component), so that `wasm-tools component wit COMPONENT`
prints the docs and a host can read them. Only world-level items (types, their fields and cases, exported
functions) can be documented this way; the section format has no place for docs of a nested package.

usage: wit_docs.py WIT_DIR WORLD COMPONENT_IN COMPONENT_OUT   (WASM_TOOLS env var: the wasm-tools binary)
Deterministic: the same inputs give the same bytes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile

SECTION = b"package-docs"


def _uleb(data: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def _enc_uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _custom_sections(data: bytes) -> list[tuple[bytes, bytes]]:
    """(name, payload) of the top-level custom sections of a module or component binary."""
    found, i = [], 8
    while i < len(data):
        sid = data[i]
        size, j = _uleb(data, i + 1)
        if sid == 0:
            nlen, k = _uleb(data, j)
            found.append((data[k : k + nlen], data[k + nlen : j + size]))
        i = j + size
    return found


def main(wit_dir: str, world: str, comp_in: str, comp_out: str) -> None:
    wasm_tools = os.environ.get("WASM_TOOLS", "wasm-tools")
    with tempfile.TemporaryDirectory() as tmp:
        pkg_path = os.path.join(tmp, "pkg.wasm")
        subprocess.run([wasm_tools, "component", "wit", "--wasm", wit_dir, "-o", pkg_path], check=True)
        with open(pkg_path, "rb") as f:
            pkg = f.read()
    payloads = [p for name, p in _custom_sections(pkg) if name == SECTION]
    if not payloads:
        sys.exit(f"error: {wit_dir} has no doc comments (no {SECTION.decode()} section)")
    version, docs = payloads[0][0], json.loads(payloads[0][1:])
    worlds = docs.get("worlds", {})
    if world not in worlds:
        sys.exit(f"error: world {world!r} has no doc comments; documented worlds: {sorted(worlds)}")
    section = bytes([version]) + json.dumps({"worlds": {"root": worlds[world]}}, separators=(",", ":")).encode()

    with open(comp_in, "rb") as f:
        comp = f.read()
    if comp[4:8] != b"\x0d\x00\x01\x00":
        sys.exit(f"error: {comp_in} is not a component")
    if any(name == SECTION for name, _ in _custom_sections(comp)):
        sys.exit(f"error: {comp_in} already has a {SECTION.decode()} section")
    body = _enc_uleb(len(SECTION)) + SECTION + section
    with open(comp_out, "wb") as f:
        f.write(comp + b"\x00" + _enc_uleb(len(body)) + body)


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    main(*sys.argv[1:])
