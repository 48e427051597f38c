"""Standard-suite bookkeeping: the tests each backend is known to fail are pinned (strict xfail), and the
scores of both backends are printed at the end of the run."""

from __future__ import annotations

import pytest

#: Tests of langchain-tests 1.1.9 that contradict the deepagents 0.7 protocol WasmSandbox follows: ``glob``
#: returns absolute paths of regular files only (``FileInfo.path`` is always absolute, or permission ``deny``
#: rules are bypassed; directories are never matched), and ``write`` overwrites, as every deepagents backend.
WASM_PROTOCOL_CONFLICTS = frozenset(
    {
        "test_glob",
        "test_glob_basic_pattern",
        "test_glob_with_directories",
        "test_glob_hidden_files_explicitly",
        "test_glob_with_character_class",
        "test_glob_with_question_mark",
        "test_write_existing_file_fails",
    }
)
#: What deepagents' LocalShellBackend (no isolation, the host's shell) fails in the same suite.
LOCAL_SHELL_FAILURES = WASM_PROTOCOL_CONFLICTS | {
    "test_read_binary_file_1_mib_returns_error",
    "test_execute_large_stdout_payload",
    "test_download_error_invalid_path_relative",
    "test_upload_relative_path_returns_invalid_path",
    "test_edit_multiple_occurrences_without_replace_all",
    "test_ls_lists_nested_directories",
    "test_aread_large_text_payload_paginated_roundtrip",
    "test_write_read_download_large_text_with_escaped_content",
    "test_awrite_aread_adownload_large_text_with_escaped_content",
    "test_aread_binary_file_1_mib_returns_error",
    "test_aexecute_large_stdout_payload",
}
_KNOWN = {"TestWasmSandboxStandard": WASM_PROTOCOL_CONFLICTS, "TestLocalShellBaseline": LOCAL_SHELL_FAILURES}
_scores: dict[str, list[int]] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        cls = getattr(item, "cls", None)
        known = _KNOWN.get(cls.__name__ if cls else "", frozenset())
        if item.name in known:
            item.add_marker(pytest.mark.xfail(strict=True, reason="known failure of this backend in the suite"))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    cls = report.nodeid.split("::")[1] if report.nodeid.count("::") >= 2 else ""
    if cls in _KNOWN and report.when == "call":
        score = _scores.setdefault(cls, [0, 0])
        score[1] += 1
        score[0] += int(report.passed and not hasattr(report, "wasxfail"))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for cls, (passed, total) in sorted(_scores.items()):
        terminalreporter.write_line(f"standard sandbox suite: {cls}: {passed}/{total} passed")
