"""Shell words and tokens: quoting (single, double, backslash), ``$VAR``, ``${VAR}``, ``$?``, ``$(...)`` and
backticks kept as segments, so expansion (when the command runs) knows what was quoted; operators and
redirects with their file descriptor. Input is bounded, so a hostile command costs the host little."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_SOURCE", "Seg", "ShellSyntaxError", "Token", "Word", "tokenize"]

MAX_SOURCE = 256 * 1024
_OPS = ("&&", "||", ";;", "&>>", "&>", ">>", ">&", "<<<", "<&", ">", "<", "|", ";", "&", "(", ")", "\n")


class ShellSyntaxError(ValueError):
    """The command is not valid in the supported shell language."""


@dataclass(frozen=True, slots=True)
class Seg:
    """Part of a word: ``lit`` text, a ``var`` name, or a ``cmd`` substitution source; ``quoted`` if in quotes."""

    kind: str
    text: str
    quoted: bool


@dataclass(frozen=True, slots=True)
class Word:
    segs: tuple[Seg, ...]

    @property
    def literal(self) -> str | None:
        """The plain text of an unquoted, expansion-free word (reserved words, names), else ``None``."""
        if all(s.kind == "lit" and not s.quoted for s in self.segs):
            return "".join(s.text for s in self.segs)
        return None


Token = str | Word | tuple[int, str]


def _matching(src: str, i: int, open_: str, close: str) -> int:
    """Index just past the ``close`` matching the ``open_`` before ``i`` (quotes respected)."""
    depth = 1
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            j = src.find("'", i + 1)
            if j < 0:
                break
            i = j + 1
            continue
        if c == '"':
            i = _dquote_end(src, i + 1)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise ShellSyntaxError(f"unterminated {open_}{close}")


def _dquote_end(src: str, i: int) -> int:
    while i < len(src):
        c = src[i]
        if c == "\\":
            i += 2
        elif c == '"':
            return i + 1
        elif src.startswith("$(", i):
            i = _matching(src, i + 2, "(", ")")
        else:
            i += 1
    raise ShellSyntaxError("unterminated double quote")


def _dollar(src: str, i: int, quoted: bool) -> tuple[Seg, int]:
    """The expansion starting at ``src[i] == '$'``."""
    nxt = src[i + 1 : i + 2]
    if nxt == "(":
        end = _matching(src, i + 2, "(", ")")
        return Seg("cmd", src[i + 2 : end - 1], quoted), end
    if nxt == "{":
        end = src.find("}", i + 2)
        if end < 0:
            raise ShellSyntaxError("unterminated ${")
        return Seg("var", src[i + 2 : end], quoted), end + 1
    if nxt and (nxt in "?#$@*!" or nxt.isdigit()):
        return Seg("var", nxt, quoted), i + 2
    j = i + 1
    while j < len(src) and (src[j].isalnum() or src[j] == "_"):
        j += 1
    if j == i + 1:
        return Seg("lit", "$", quoted), i + 1
    return Seg("var", src[i + 1 : j], quoted), j


def _word(src: str, i: int) -> tuple[Word, int]:
    segs: list[Seg] = []
    buf: list[str] = []

    def flush(quoted: bool = False) -> None:
        if buf:
            segs.append(Seg("lit", "".join(buf), quoted))
            buf.clear()

    while i < len(src):
        c = src[i]
        if c in " \t\n;&|()<>":
            break
        if c == "\\":
            flush()
            if i + 1 < len(src) and src[i + 1] != "\n":
                segs.append(Seg("lit", src[i + 1], True))
            i += 2
        elif c == "'":
            flush()
            j = src.find("'", i + 1)
            if j < 0:
                raise ShellSyntaxError("unterminated single quote")
            segs.append(Seg("lit", src[i + 1 : j], True))
            i = j + 1
        elif c == '"':
            flush()
            i = _dquoted(src, i + 1, segs)
        elif c == "$":
            flush()
            seg, i = _dollar(src, i, False)
            segs.append(seg)
        elif c == "`":
            flush()
            j = src.find("`", i + 1)
            if j < 0:
                raise ShellSyntaxError("unterminated backquote")
            segs.append(Seg("cmd", src[i + 1 : j], False))
            i = j + 1
        else:
            buf.append(c)
            i += 1
    flush()
    return Word(tuple(segs)), i


def _dquoted(src: str, i: int, segs: list[Seg]) -> int:
    buf: list[str] = []
    segs.append(Seg("lit", "", True))  # "" is still a word
    while i < len(src):
        c = src[i]
        if c == '"':
            if buf:
                segs.append(Seg("lit", "".join(buf), True))
            return i + 1
        if c == "\\" and src[i + 1 : i + 2] in ('"', "\\", "$", "`", "\n"):
            if src[i + 1] != "\n":
                buf.append(src[i + 1])
            i += 2
        elif c == "$" or c == "`":
            if buf:
                segs.append(Seg("lit", "".join(buf), True))
                buf = []
            if c == "$":
                seg, i = _dollar(src, i, True)
            else:
                j = src.find("`", i + 1)
                if j < 0:
                    raise ShellSyntaxError("unterminated backquote")
                seg, i = Seg("cmd", src[i + 1 : j], True), j + 1
            segs.append(seg)
        else:
            buf.append(c)
            i += 1
    raise ShellSyntaxError("unterminated double quote")


def tokenize(src: str) -> list[Token]:
    """Operators as ``str``, words as ``Word``, redirect operators with an fd as ``(fd, op)``."""
    if len(src) > MAX_SOURCE:
        raise ShellSyntaxError(f"the command is longer than {MAX_SOURCE} characters")
    out: list[Token] = []
    i = 0
    while i < len(src):
        c = src[i]
        if c in " \t":
            i += 1
        elif c == "#" and (i == 0 or src[i - 1] in " \t\n;&|()"):
            while i < len(src) and src[i] != "\n":
                i += 1
        elif c.isdigit() and i + 1 < len(src):
            j = i
            while j < len(src) and src[j].isdigit():
                j += 1
            if j < len(src) and src[j] in "<>" and (i == 0 or src[i - 1] in " \t\n;&|()"):
                op = next(o for o in _OPS if src.startswith(o, j))
                out.append((int(src[i:j]), op))
                i = j + len(op)
            else:
                word, i = _word(src, i)
                out.append(word)
        else:
            found = next((o for o in _OPS if src.startswith(o, i)), None)
            if found is not None:
                op = found
                if op in (">", ">>", "<", ">&", "<&", "<<<", "&>", "&>>"):
                    out.append((0 if op.startswith("<") else 1, op))
                else:
                    out.append(op)
                i += len(op)
            else:
                word, i = _word(src, i)
                out.append(word)
    return out
