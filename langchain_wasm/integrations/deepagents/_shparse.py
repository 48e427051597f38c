"""A small POSIX-shell parser: the command language ``execute`` accepts, as a tree (no code runs here).

Supported: ``;`` and newlines, ``&&``, ``||``, ``!``, pipes, ``( ... )`` and ``{ ...; }`` groups, ``for NAME in
...; do ...; done``, ``if ...; then ...; [elif/else ...;] fi``, ``while/until ...; do ...; done``, assignments
(``X=1 cmd``), redirects (``> >> < 2> 2>> &> 2>&1 >&2 <<<``), quoting (single, double, backslash), ``$VAR``,
``${VAR}``, ``$?``, ``$(...)`` and backticks. Words keep their quoting as segments, so expansion and globbing
(done when the command runs) know what was quoted. Input is bounded (length, nesting), so a hostile command
costs the host little.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "AndOr",
    "For",
    "Group",
    "If",
    "Pipeline",
    "Redirect",
    "Seg",
    "ShellSyntaxError",
    "Simple",
    "While",
    "Word",
    "parse",
]

MAX_SOURCE = 256 * 1024
MAX_DEPTH = 32
_OPS = ("&&", "||", ";;", "&>>", "&>", ">>", ">&", "<<<", "<&", ">", "<", "|", ";", "&", "(", ")", "\n")
_RESERVED = {"for", "in", "do", "done", "if", "then", "elif", "else", "fi", "while", "until", "{", "}", "!"}


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


@dataclass(frozen=True, slots=True)
class Redirect:
    fd: int
    op: str  # ">", ">>", "<", "<<<", ">&", "<&", "&>", "&>>"
    target: Word


@dataclass(slots=True)
class Simple:
    assigns: list[tuple[str, Word]] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class Group:
    body: list[AndOr]
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class For:
    name: str
    items: list[Word]
    body: list[AndOr]
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class If:
    branches: list[tuple[list[AndOr], list[AndOr]]]
    orelse: list[AndOr] | None
    redirects: list[Redirect] = field(default_factory=list)


@dataclass(slots=True)
class While:
    cond: list[AndOr]
    body: list[AndOr]
    until: bool
    redirects: list[Redirect] = field(default_factory=list)


Command = Simple | Group | For | If | While


@dataclass(slots=True)
class Pipeline:
    commands: list[Command]
    negate: bool = False


@dataclass(slots=True)
class AndOr:
    first: Pipeline
    rest: list[tuple[str, Pipeline]] = field(default_factory=list)


# -- tokens ----------------------------------------------------------------------------------------------------
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


def tokenize(src: str) -> list[str | Word | tuple[int, str]]:
    """Operators as ``str``, words as ``Word``, redirect operators with an fd as ``(fd, op)``."""
    if len(src) > MAX_SOURCE:
        raise ShellSyntaxError(f"the command is longer than {MAX_SOURCE} characters")
    out: list[str | Word | tuple[int, str]] = []
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
            op = next((o for o in _OPS if src.startswith(o, i)), None)
            if op is not None:
                if op in (">", ">>", "<", ">&", "<&", "<<<", "&>", "&>>"):
                    out.append((0 if op.startswith("<") else 1, op))
                else:
                    out.append(op)
                i += len(op)
            else:
                word, i = _word(src, i)
                out.append(word)
    return out


# -- grammar ---------------------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, tokens: list[str | Word | tuple[int, str]]) -> None:
        self.toks = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> str | Word | tuple[int, str] | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def reserved(self, *names: str) -> bool:
        tok = self.peek()
        return isinstance(tok, Word) and tok.literal in names

    def expect(self, name: str) -> None:
        self.skip_newlines()
        if not (self.reserved(name) or self.peek() == name):
            raise ShellSyntaxError(f"expected '{name}'")
        self.i += 1

    def skip_newlines(self) -> None:
        while self.peek() in ("\n", ";"):
            self.i += 1

    def list_(self, *stop: str) -> list[AndOr]:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ShellSyntaxError("the command nests too deeply")
        items: list[AndOr] = []
        while True:
            self.skip_newlines()
            tok = self.peek()
            if tok is None or tok == ")" or self.reserved(*stop):
                break
            items.append(self.and_or())
            if self.peek() == "&":  # no background jobs: run in the foreground
                self.i += 1
        self.depth -= 1
        return items

    def and_or(self) -> AndOr:
        node = AndOr(self.pipeline())
        while self.peek() in ("&&", "||"):
            op = str(self.peek())
            self.i += 1
            while self.peek() == "\n":
                self.i += 1
            node.rest.append((op, self.pipeline()))
        return node

    def pipeline(self) -> Pipeline:
        negate = False
        if self.reserved("!"):
            negate, self.i = True, self.i + 1
        cmds = [self.command()]
        while self.peek() == "|":
            self.i += 1
            while self.peek() == "\n":
                self.i += 1
            cmds.append(self.command())
        return Pipeline(cmds, negate)

    def command(self) -> Command:
        tok = self.peek()
        node: Command
        if tok == "(":
            self.i += 1
            node = Group(self.list_())
            if self.peek() != ")":
                raise ShellSyntaxError("expected ')'")
            self.i += 1
        elif self.reserved("{"):
            self.i += 1
            node = Group(self.list_("}"))
            self.expect("}")
        elif self.reserved("for"):
            node = self.for_()
        elif self.reserved("if"):
            node = self.if_()
        elif self.reserved("while", "until"):
            until = self.reserved("until")
            self.i += 1
            cond = self.list_("do")
            self.expect("do")
            node = While(cond, self.list_("done"), until)
            self.expect("done")
        else:
            return self.simple()
        node.redirects.extend(self.redirects())
        return node

    def for_(self) -> For:
        self.i += 1
        name = self.peek()
        if not isinstance(name, Word) or not (name.literal or "").isidentifier():
            raise ShellSyntaxError("expected a name after 'for'")
        self.i += 1
        items: list[Word] = []
        if self.reserved("in"):
            self.i += 1
            while isinstance(self.peek(), Word) and not self.reserved("do"):
                items.append(self.toks[self.i])  # type: ignore[arg-type]
                self.i += 1
        self.expect("do")
        body = self.list_("done")
        self.expect("done")
        return For(name.literal or "", items, body)

    def if_(self) -> If:
        self.i += 1
        branches: list[tuple[list[AndOr], list[AndOr]]] = []
        orelse = None
        while True:
            cond = self.list_("then")
            self.expect("then")
            branches.append((cond, self.list_("elif", "else", "fi")))
            self.skip_newlines()
            if self.reserved("elif"):
                self.i += 1
                continue
            if self.reserved("else"):
                self.i += 1
                orelse = self.list_("fi")
            self.expect("fi")
            return If(branches, orelse)

    def redirects(self) -> list[Redirect]:
        out = []
        while isinstance(self.peek(), tuple):
            fd, op = self.toks[self.i]  # type: ignore[misc]
            self.i += 1
            target = self.peek()
            if not isinstance(target, Word):
                raise ShellSyntaxError(f"expected a file name after '{op}'")
            self.i += 1
            out.append(Redirect(fd, op, target))
        return out

    def simple(self) -> Simple:
        node = Simple()
        while True:
            tok = self.peek()
            if isinstance(tok, tuple):
                node.redirects.extend(self.redirects())
            elif isinstance(tok, Word):
                first = tok.segs[0] if tok.segs else None
                if (
                    not node.words
                    and first is not None
                    and first.kind == "lit"
                    and not first.quoted
                    and "=" in first.text
                    and first.text.split("=", 1)[0].isidentifier()
                ):
                    name, rest = first.text.split("=", 1)
                    node.assigns.append((name, Word((Seg("lit", rest, False), *tok.segs[1:]))))
                else:
                    node.words.append(tok)
                self.i += 1
            else:
                break
        if not node.words and not node.assigns and not node.redirects:
            raise ShellSyntaxError(f"syntax error near {tok!r}" if tok is not None else "syntax error: unexpected end")
        return node


def parse(src: str) -> list[AndOr]:
    """The command ``src`` as a list of and-or lists; ``ShellSyntaxError`` if it does not parse."""
    parser = _Parser(tokenize(src))
    items = parser.list_()
    if parser.peek() is not None:
        raise ShellSyntaxError(f"syntax error near {parser.peek()!r}")
    return items
