"""The guest's report is untrusted: every field is checked before it becomes a ``PythonResult``."""

from __future__ import annotations

import base64
import json

from langchain_wasm.python.results import PythonResult, ResultCaps, parse_frame

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20


def _frame(**fields: object) -> bytes:
    return json.dumps({"nonce": "n1", **fields}).encode()


def test_a_well_formed_report():
    raw = _frame(
        result={"repr": "42", "type": "builtins.int", "json": "42"},
        images=[base64.b64encode(PNG).decode()],
        figures=1,
    )
    fields, notes, exited = parse_frame(raw, "n1", ResultCaps())
    assert fields["result"] == 42
    assert fields["images"] == (PNG,)
    assert notes == []
    assert exited is False


def test_malformed_reports_are_dropped_with_a_note():
    caps = ResultCaps(max_images=1, max_image_bytes=100)
    assert parse_frame(None, "n1", caps)[1] == ["the interpreter sent no report for this run"]
    assert "not valid JSON" in parse_frame(b"{", "n1", caps)[1][0]
    assert "did not belong" in parse_frame(_frame(), "other", caps)[1][0]
    assert "did not belong" in parse_frame(b"[1, 2]", "n1", caps)[1][0]
    fields, notes, exited = parse_frame(
        _frame(
            result={"repr": 5, "type": None, "json": "{not json"},
            error={"type": ["x"], "message": None, "traceback": 7},
            images={"not": "a list"},
            exit=True,
        ),
        "n1",
        caps,
    )
    assert fields["result_repr"] == ""  # non-strings are dropped, never passed on
    assert fields["result"] == ""
    assert fields["error"].type == "Exception"
    assert fields["error"].traceback == ""
    assert fields["images"] == ()
    assert exited is False  # a bool is not an exit status
    fields, notes, _ = parse_frame(
        _frame(images=["!!!", base64.b64encode(b"GIF89a").decode(), base64.b64encode(PNG * 10).decode()]),
        "n1",
        caps,
    )
    assert fields["images"] == ()
    assert len(notes) == 3


def test_text_is_capped_for_the_model():
    r = PythonResult(stdout="x" * 10_000)
    text = r.text(limit=1000)
    assert len(text) < 1100
    assert "characters in all" in text
