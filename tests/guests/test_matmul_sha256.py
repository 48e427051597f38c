"""matmul (C, buffer ABI) against a plain-Python product; sha256 (Zig, buffer ABI) against hashlib."""

from __future__ import annotations

import hashlib
import random

import pytest

from langchain_wasm.errors import WasmArgumentError, WasmGuestError


def product(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def close(x, y):
    return all(
        abs(p - q) <= 1e-9 * max(1.0, abs(q)) for rx, ry in zip(x, y, strict=True) for p, q in zip(rx, ry, strict=True)
    )


@pytest.fixture(scope="module")
def matmul(load_guest):
    return load_guest("matmul")


@pytest.fixture(scope="module")
def sha256(load_guest):
    return load_guest("sha256")


@pytest.mark.parametrize(
    ("m", "k", "n"), [(1, 1, 1), (1, 5, 1), (5, 1, 5), (2, 3, 4), (7, 7, 7), (17, 3, 11), (64, 64, 64)]
)
def test_matmul_matches_python(matmul, m, k, n):
    rng = random.Random(m * 100 + k * 10 + n)
    a = [[rng.uniform(-10, 10) for _ in range(k)] for _ in range(m)]
    b = [[rng.uniform(-10, 10) for _ in range(n)] for _ in range(k)]
    got = matmul.call({"a": a, "b": b}).value
    assert len(got) == m
    assert all(len(row) == n for row in got)
    assert close(got, product(a, b))


def test_matmul_128(matmul):
    rng = random.Random(128)
    a = [[rng.random() for _ in range(128)] for _ in range(128)]
    b = [[rng.random() for _ in range(128)] for _ in range(128)]
    assert close(matmul.call({"a": a, "b": b}).value, product(a, b))


def test_matmul_article_example(matmul):
    assert matmul.call({"a": [[1, 2], [3, 4]], "b": [[5, 6], [7, 8]]}).value == [[19.0, 22.0], [43.0, 50.0]]


def test_matmul_dimension_mismatch_is_explained(matmul):
    with pytest.raises(WasmGuestError, match="columns of a must equal the number of rows of b") as info:
        matmul.call({"a": [[1, 2, 3]], "b": [[1, 2]]})
    assert info.value.code == 3


@pytest.mark.parametrize("bad", [[[1, 2], [3]], [], [[]], [["x"]], "matrix"])
def test_matmul_rejects_malformed_matrices_before_running(matmul, bad):
    with pytest.raises(WasmArgumentError):
        matmul.call({"a": bad, "b": [[1]]})


@pytest.mark.parametrize(
    "text", ["", "abc", "The quick brown fox jumps over the lazy dog", "ünïcödé 🙂", "x" * 55, "y" * 64, "z" * 65_537]
)
def test_sha256_matches_hashlib(sha256, text):
    assert sha256.call({"text": text}).value == hashlib.sha256(text.encode()).hexdigest()


def test_sha256_of_raw_bytes_and_1_mib(sha256):
    data = random.Random(1).randbytes(1 << 20)
    assert sha256.call({"text": data}).value == hashlib.sha256(data).hexdigest()
