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

from ._shlex import Seg, ShellSyntaxError, Token, Word, tokenize

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

MAX_DEPTH = 32
_RESERVED = {"for", "in", "do", "done", "if", "then", "elif", "else", "fi", "while", "until", "{", "}", "!"}


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


# -- grammar ---------------------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.toks = tokens
        self.i = 0
        self.depth = 0

    def peek(self) -> Token | None:
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
        while isinstance(tok := self.peek(), tuple):
            fd, op = tok
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
