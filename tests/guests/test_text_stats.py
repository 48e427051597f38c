"""The AssemblyScript text statistics guest (buffer ABI) against a Python reference implementation."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

_END = re.compile(r"[.!?]+[\"')\]}\u00bb\u2019\u201d]*(?=\s|\Z)")
_TOKEN = re.compile(r"[A-Za-z0-9'\u2019]+")


def reference(data: bytes) -> dict:
    """The rules of guests/text_stats/README.md."""
    text = data.decode("utf-8", "replace")
    sentences, last = 0, 0
    for m in _END.finditer(text):
        if any(not c.isspace() and c not in ".!?" for c in text[last : m.start()]):
            sentences += 1
        last = m.end()
    counts: Counter[str] = Counter()
    for tok in _TOKEN.findall(text):
        word = tok.replace("\u2019", "'").lower().strip("'")
        if word:
            counts[word] += 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    return {
        "characters": len(text),
        "bytes": len(data),
        "words": len(text.split()),
        "lines": 0 if not text else text.count("\n") + (0 if text.endswith("\n") else 1),
        "sentences": sentences,
        "top_words": [{"word": w, "count": c} for w, c in top],
    }


@pytest.fixture(scope="module")
def stats(load_guest):
    return load_guest("text_stats")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Hello world.",
        "Pi is 3.14 today. Wait... what?! Yes!",
        "The cat sat. The cat ran. A dog barked at the cat!",
        "line one\nline two\n",
        "naïve café — ünïcödé 🙂 text, with emoji 🙂🙂.",
        "Don't stop; 'quoted' words\u2019 apostrophes.",
        "   \t\n  ",
    ],
)
def test_examples_match_the_reference(stats, text):
    assert stats.call({"text": text}).value == reference(text.encode())


def test_random_texts_match_the_reference(stats):
    rng = random.Random(7)
    alphabet = "abc xyz.!?\n'\u2019 é🙂 The THE the 3.14"
    for _ in range(200):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 300)))
        assert stats.call({"text": text}).value == reference(text.encode()), text


def test_invalid_utf8_bytes_are_replaced_not_fatal(stats):
    data = b"ok \xff\xfe bytes \xe2\x82 end."
    assert stats.call({"text": data}).value == reference(data)


def test_large_text(stats):
    text = ("All work and no play makes Jack a dull boy. " * 20_000).strip()
    assert stats.call({"text": text}).value == reference(text.encode())
