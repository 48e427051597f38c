"""Runs a parsed command: expansion, globbing, redirects, pipes, control flow; builtins on the host's
``SandboxFS``, ``python``/``python3`` in the Wasm interpreter. One ``Shell.run`` is one ``sh -c`` process:
``cd`` and variables do not outlive it. Every loop checks the deadline, so a command can run long but never
past its timeout, and every buffer is capped."""

from __future__ import annotations

import fnmatch
import time
from collections.abc import Callable
from dataclasses import dataclass

from ._builtins import BUILTINS
from ._ctx import CommandTimeout, Ctx, ShellExit, Sink
from ._fs import SandboxFS, normalize
from ._shparse import AndOr, For, Group, If, Pipeline, Redirect, ShellSyntaxError, Simple, While, Word, parse

__all__ = ["Ctx", "CommandTimeout", "PythonRunner", "Shell", "ShellResult", "Sink"]

#: ``(argv, stdin, cwd, env, timeout_s) -> (stdout + stderr bytes, exit status)``; runs in the Wasm CPython.
PythonRunner = Callable[[list[str], bytes, str, dict[str, str], float], tuple[bytes, int]]
MAX_SUBSTITUTION = 1024 * 1024
MAX_GLOB = 10_000


@dataclass(frozen=True, slots=True)
class ShellResult:
    output: str
    exit_code: int
    truncated: bool
    timed_out: bool = False


class Shell:
    """The shell of one sandbox.

    Args:
        fs: the sandbox's files.
        python: runs ``python``/``python3`` command lines in the sandbox's interpreter.
        env: the environment every command starts with.
        max_output_bytes: most bytes of combined stdout/stderr returned (the rest is dropped, ``truncated``).
    """

    def __init__(
        self, fs: SandboxFS, python: PythonRunner, *, env: dict[str, str], max_output_bytes: int = 1024 * 1024
    ) -> None:
        self.fs = fs
        self.python = python
        self.env = dict(env)
        self.max_output_bytes = max_output_bytes

    def run(self, command: str, *, timeout_s: float, cwd: str = "/workspace") -> ShellResult:
        out = Sink(self.max_output_bytes)
        self.fs.written = 0  # the write quota is per command
        ctx = Ctx(self.fs, cwd, {**self.env, "PWD": cwd}, out, out, time.monotonic() + timeout_s)
        try:
            tree = parse(command)
        except ShellSyntaxError as exc:
            return ShellResult(f"sh: {exc}\n", 2, False)
        try:
            status = self.run_list(ctx, tree)
        except ShellExit as stop:
            status = stop.status
        except (RecursionError, MemoryError, ValueError) as exc:  # a hostile command: nesting, sizes
            out.write(f"sh: command refused: {type(exc).__name__}: {str(exc)[:200]}\n".encode())
            return ShellResult(out.data.decode("utf-8", "replace"), 2, out.truncated)
        except CommandTimeout as stop:
            if stop.args and isinstance(stop.args[0], bytes):
                out.write(stop.args[0])
            out.write(f"\n[command timed out after {timeout_s:g} s and was stopped]\n".encode())
            return ShellResult(out.data.decode("utf-8", "replace"), 124, out.truncated, True)
        return ShellResult(out.data.decode("utf-8", "replace"), status, out.truncated)

    # -- control flow --------------------------------------------------------------------------------------
    def run_list(self, ctx: Ctx, items: list[AndOr]) -> int:
        for item in items:
            ctx.status = self.run_and_or(ctx, item)
        return ctx.status

    def run_and_or(self, ctx: Ctx, node: AndOr) -> int:
        status = self.run_pipeline(ctx, node.first)
        for op, pipe in node.rest:
            if (op == "&&") == (status == 0):
                ctx.status = status
                status = self.run_pipeline(ctx, pipe)
        return status

    def run_pipeline(self, ctx: Ctx, node: Pipeline) -> int:
        stdin, status = ctx.stdin, 0
        for i, cmd in enumerate(node.commands):
            ctx.check_deadline()
            last = i == len(node.commands) - 1
            pipe = None if last else Sink(self.fs.max_file_bytes)
            sub = ctx if last and len(node.commands) == 1 else ctx.child(stdin=stdin, out=pipe or ctx.out)
            status = self.run_command(sub, cmd)
            if pipe is not None:
                stdin = bytes(pipe.data)
        return (0 if status else 1) if node.negate else status

    def run_command(self, ctx: Ctx, cmd: Simple | Group | For | If | While) -> int:
        if isinstance(cmd, Simple):
            return self.run_simple(ctx, cmd)
        sub, finish = self.redirected(ctx, cmd.redirects)
        if sub is None:
            return 1
        try:
            if isinstance(cmd, Group):
                return self.run_list(sub, cmd.body)
            if isinstance(cmd, For):
                status = 0
                for value in self.expand_words(sub, cmd.items):
                    sub.check_deadline()
                    sub.env[cmd.name] = value
                    status = self.run_list(sub, cmd.body)
                return status
            if isinstance(cmd, If):
                for cond, body in cmd.branches:
                    if self.run_list(sub, cond) == 0:
                        return self.run_list(sub, body)
                return self.run_list(sub, cmd.orelse) if cmd.orelse is not None else 0
            status = 0
            while (self.run_list(sub, cmd.cond) == 0) != cmd.until:
                sub.check_deadline()
                status = self.run_list(sub, cmd.body)
            return status
        finally:
            finish()

    def run_simple(self, ctx: Ctx, cmd: Simple) -> int:
        argv = self.expand_words(ctx, cmd.words)
        values = {name: self.expand_word(ctx, w, split=False)[0] for name, w in cmd.assigns}
        if not argv:
            ctx.env.update(values)
            return 0
        sub, finish = self.redirected(ctx.child(env={**ctx.env, **values}), cmd.redirects)
        if sub is None:
            return 1
        try:
            return self.dispatch(sub, argv, ctx)
        finally:
            finish()

    def dispatch(self, ctx: Ctx, argv: list[str], parent: Ctx) -> int:
        name = argv[0]
        base = name.rsplit("/", 1)[-1]
        if base in ("python", "python3", "python3.15") and (name == base or name.startswith("/usr/")):
            data, status = self.python(argv, ctx.stdin, ctx.cwd, ctx.env, max(0.001, ctx.deadline - time.monotonic()))
            ctx.out.write(data)
            return status
        if name == "exit":
            raise ShellExit(int(argv[1]) & 0xFF if len(argv) > 1 and argv[1].lstrip("-").isdigit() else parent.status)
        builtin = BUILTINS.get(name)
        if builtin is None:
            ctx.err.write(f"sh: 1: {name}: command not found\n".encode())
            return 127
        status = builtin(ctx, argv[1:])
        if name in ("cd", "export"):  # they change the shell itself, not a child process
            parent.cwd, parent.env = ctx.cwd, {**parent.env, **{k: ctx.env[k] for k in ctx.env}}
        return status

    # -- redirects -----------------------------------------------------------------------------------------
    def redirected(self, ctx: Ctx, redirects: list[Redirect]) -> tuple[Ctx | None, Callable[[], None]]:
        if not redirects:
            return ctx, lambda: None
        sub = ctx.child()
        files: list[tuple[str, Sink, bool]] = []
        for r in redirects:
            target = self.expand_word(ctx, r.target, split=False)[0]
            fd = 2 if r.op.startswith("&") else r.fd
            if r.op in (">&", "<&") and target in ("1", "2"):
                if fd == 2:
                    sub.err = sub.out if target == "1" else sub.err
                else:
                    sub.out = sub.err if target == "2" else sub.out
                continue
            if r.op == "<<<":
                sub.stdin = (target + "\n").encode()
                continue
            if r.op in ("<", "<&"):
                try:
                    sub.stdin = b"" if target == "/dev/null" else self.fs.read_bytes(ctx.abs(target))
                except OSError as exc:
                    ctx.err.write(f"sh: 1: cannot open {target}: {exc.strerror}\n".encode())
                    return None, lambda: None
                continue
            sink = Sink(None if target == "/dev/null" else self.fs.max_file_bytes)
            if target != "/dev/null":
                try:  # create (or truncate) now, as a shell does, so errors show before the command runs
                    self.fs.write_bytes(ctx.abs(target), b"", append=r.op.endswith(">>"))
                except OSError as exc:
                    ctx.err.write(f"sh: 1: cannot create {target}: {exc.strerror}\n".encode())
                    return None, lambda: None
                files.append((ctx.abs(target), sink, True))
            if r.op in ("&>", "&>>"):
                sub.out = sub.err = sink
            elif fd == 2:
                sub.err = sink
            else:
                sub.out = sink

        def finish() -> None:
            for path, sink, append in files:
                try:
                    self.fs.write_bytes(path, bytes(sink.data), append=append)
                except OSError as exc:
                    ctx.err.write(f"sh: 1: cannot write {path}: {exc.strerror}\n".encode())

        return sub, finish

    # -- expansion -----------------------------------------------------------------------------------------
    def expand_words(self, ctx: Ctx, words: list[Word]) -> list[str]:
        out: list[str] = []
        for w in words:
            out.extend(self.expand_word(ctx, w, split=True))
        return out

    def expand_word(self, ctx: Ctx, word: Word, *, split: bool) -> list[str]:
        """Fields of ``word``: expansions substituted, unquoted results split on whitespace, globs matched."""
        fields: list[list[tuple[str, bool]]] = [[]]
        for seg in word.segs:
            if seg.kind == "lit":
                fields[-1].append((seg.text, seg.quoted))
                continue
            value = self.var(ctx, seg.text) if seg.kind == "var" else self.substitute(ctx, seg.text)
            if seg.quoted or not split:
                fields[-1].append((value, True))
                continue
            pieces = value.split()
            if not pieces:
                continue
            if value[:1].isspace() and fields[-1]:
                fields.append([])
            for j, piece in enumerate(pieces):
                if j:
                    fields.append([])
                fields[-1].append((piece, True))
            if value[-1:].isspace():
                fields.append([])
        out = []
        for parts in fields:
            if not parts:
                continue
            text = "".join(t for t, _ in parts)
            pattern = "".join(_escape_glob(t) if q else t for t, q in parts)
            if split and any(c in t for t, q in parts if not q for c in "*?["):
                out.extend(self.glob(ctx, pattern) or [text])
            else:
                out.append(text)
        return out if out or not split else []

    def var(self, ctx: Ctx, name: str) -> str:
        if name == "?":
            return str(ctx.status)
        if name in ("#", "@", "*") or name.isdigit():
            return "0" if name == "#" else ""
        if ":-" in name:
            key, default = name.split(":-", 1)
            return ctx.env.get(key) or default
        return ctx.env.get(name, "")

    def substitute(self, ctx: Ctx, source: str) -> str:
        sink = Sink(MAX_SUBSTITUTION)
        sub = ctx.child(out=sink, env=dict(ctx.env))
        try:
            ctx.status = self.run_list(sub, parse(source))
        except ShellSyntaxError as exc:
            ctx.err.write(f"sh: {exc}\n".encode())
            ctx.status = 2
        return sink.data.decode("utf-8", "replace").rstrip("\n")

    def glob(self, ctx: Ctx, pattern: str) -> list[str]:
        """Matches of a shell glob (``*``, ``?``, ``[...]``) against the sandbox's files, sorted."""
        absolute = pattern.startswith("/")
        parts = [p for p in pattern.split("/") if p]
        found = ["/" if absolute else ""]
        for part in parts:
            nxt = []
            for prefix in found:
                base = prefix if absolute else normalize(prefix or ".", ctx.cwd)
                if not any(c in part for c in "*?["):
                    nxt.append(f"{prefix.rstrip('/')}/{part}" if prefix else part)
                    continue
                try:
                    names = [e.name for e in self.fs.listdir(base)]
                except OSError:
                    continue
                for name in names:
                    if fnmatch.fnmatchcase(name, part) and (not name.startswith(".") or part.startswith(".")):
                        nxt.append(f"{prefix.rstrip('/')}/{name}" if prefix else name)
            found = nxt[:MAX_GLOB]
        return sorted(p for p in found if self.fs.exists(normalize(p, ctx.cwd)))


def _escape_glob(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)
