"""``test`` / ``[`` expressions: file tests, string and integer comparisons, ``!``, ``-a``, ``-o``, parentheses."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._ctx import Ctx

__all__ = ["evaluate"]

_UNARY = {"-e", "-f", "-d", "-s", "-r", "-w", "-x", "-L", "-h", "-z", "-n", "-p", "-S", "-b", "-c"}
_INT_OPS = {"-eq", "-ne", "-lt", "-le", "-gt", "-ge"}


def _file_test(ctx: Ctx, op: str, path: str) -> bool:
    try:
        info = ctx.fs.lstat(ctx.abs(path))
    except OSError:
        return False
    mode = 0o040755 if info is None else info.st_mode
    size = 0 if info is None else info.st_size
    return {
        "-e": True,
        "-f": stat.S_ISREG(mode),
        "-d": stat.S_ISDIR(mode),
        "-s": size > 0,
        "-r": bool(mode & stat.S_IRUSR),
        "-w": bool(mode & stat.S_IWUSR),
        "-x": bool(mode & stat.S_IXUSR),
        "-L": stat.S_ISLNK(mode),
        "-h": stat.S_ISLNK(mode),
        "-p": stat.S_ISFIFO(mode),
        "-S": stat.S_ISSOCK(mode),
        "-b": stat.S_ISBLK(mode),
        "-c": stat.S_ISCHR(mode),
    }[op]


def _int(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{text}: integer expression expected") from None


class _Eval:
    def __init__(self, ctx: Ctx, args: list[str]) -> None:
        self.ctx, self.args, self.i = ctx, args, 0

    def peek(self) -> str | None:
        return self.args[self.i] if self.i < len(self.args) else None

    def take(self) -> str:
        if self.i >= len(self.args):
            raise ValueError("argument expected")
        self.i += 1
        return self.args[self.i - 1]

    def or_(self) -> bool:
        value = self.and_()
        while self.peek() == "-o":
            self.i += 1
            value = self.and_() or value
        return value

    def and_(self) -> bool:
        value = self.not_()
        while self.peek() == "-a":
            self.i += 1
            value = self.not_() and value
        return value

    def not_(self) -> bool:
        if self.peek() == "!":
            self.i += 1
            return not self.not_()
        return self.primary()

    def primary(self) -> bool:
        tok = self.take()
        if tok == "(":
            value = self.or_()
            if self.take() != ")":
                raise ValueError("')' expected")
            return value
        nxt = self.peek()
        if nxt in ("=", "==", "!=", "<", ">") or nxt in _INT_OPS:
            self.i += 1
            right = self.take()
            if nxt in ("=", "=="):
                return tok == right
            if nxt == "!=":
                return tok != right
            if nxt == "<":
                return tok < right
            if nxt == ">":
                return tok > right
            a, b = _int(tok), _int(right)
            return {"-eq": a == b, "-ne": a != b, "-lt": a < b, "-le": a <= b, "-gt": a > b, "-ge": a >= b}[nxt]
        if tok in _UNARY and nxt is not None:
            arg = self.take()
            if tok == "-z":
                return arg == ""
            if tok == "-n":
                return arg != ""
            return _file_test(self.ctx, tok, arg)
        return tok != ""


def evaluate(ctx: Ctx, args: list[str]) -> bool:
    """The truth of ``args`` as a ``test`` expression (``ValueError`` for a malformed one)."""
    if not args:
        return False
    ev = _Eval(ctx, args)
    value = ev.or_()
    if ev.peek() is not None:
        raise ValueError(f"{ev.peek()}: unexpected operator")
    return value
