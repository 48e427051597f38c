"""The shell's commands, run on the host over ``SandboxFS`` (never on host paths): coreutils-style behaviour
for what agents type most. Each takes the command context and its arguments and returns an exit status;
errors are printed the way coreutils prints them (``cat: x: No such file or directory``)."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ._fs import normalize

if TYPE_CHECKING:
    from ._ctx import Ctx

from ._cmd_files import FILE_COMMANDS
from ._cmd_files import oserr as _oserr
from ._cmd_files import parse_flags as _flags
from ._cmd_files import read_inputs as _read_inputs

__all__ = ["BUILTINS"]

Builtin = Callable[["Ctx", list[str]], int]


def b_echo(ctx: Ctx, args: list[str]) -> int:
    newline, escapes = True, False
    while args and args[0] in ("-n", "-e", "-E", "-ne", "-en"):
        newline = newline and "n" not in args[0]
        escapes = "e" in args[0]
        args = args[1:]
    text = " ".join(args)
    if escapes:
        text = text.encode("utf-8", "surrogateescape").decode("unicode_escape", "replace")
    ctx.out.write((text + ("\n" if newline else "")).encode("utf-8", "surrogateescape"))
    return 0


def b_printf(ctx: Ctx, args: list[str]) -> int:
    if not args:
        ctx.err.write(b"printf: usage: printf format [arguments]\n")
        return 2
    fmt, values = args[0].encode().decode("unicode_escape", "replace"), args[1:]
    if re.search(r"%[-+ #0]*(\d{6,}|\*)|\.(\d{6,})", fmt):
        ctx.err.write(b"printf: field width or precision too large\n")
        return 1
    count = max(1, fmt.count("%") - 2 * fmt.count("%%"))
    out, first = [], True
    while first or values:
        first = False
        chunk, values = values[:count], values[count:]
        conv = []
        for i, spec in enumerate(_specs(fmt)):
            raw = chunk[i] if i < len(chunk) else ""
            try:
                conv.append(float(raw or 0) if spec in "feEgG" else int(raw or 0) if spec in "dixXoc" else raw)
            except ValueError:
                ctx.err.write(f"printf: {raw}: invalid number\n".encode())
                conv.append(0)
        try:
            out.append(fmt % tuple(conv))
        except (TypeError, ValueError) as exc:
            ctx.err.write(f"printf: {exc}\n".encode())
            return 1
    ctx.out.write("".join(out).encode())
    return 0


def _specs(fmt: str) -> list[str]:
    specs, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%":
            if fmt[i + 1 : i + 2] == "%":
                i += 2
                continue
            j = i + 1
            while j < len(fmt) and fmt[j] not in "diouxXeEfFgGcs":
                j += 1
            specs.append(fmt[j] if j < len(fmt) else "s")
            i = j
        i += 1
    return specs


def b_cat(ctx: Ctx, args: list[str]) -> int:
    _, paths = _flags(args, "u")
    status = 0
    for p in paths or ["-"]:
        if p == "-":
            ctx.out.write(ctx.stdin)
            continue
        try:
            ctx.out.write(ctx.fs.read_bytes(ctx.abs(p)))
        except OSError as exc:
            status = _oserr(ctx, "cat", p, exc)
    return status


def b_wc(ctx: Ctx, args: list[str]) -> int:
    flags, paths = _flags(args, "lwcm")
    inputs = _read_inputs(ctx, "wc", paths)
    if inputs is None:
        return 1
    flags = flags or {"l", "w", "c"}
    totals = [0, 0, 0]
    for name, data in inputs:
        counts = [data.count(b"\n"), len(data.split()), len(data)]
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        cols = [str(n) for n, f in zip(counts, "lwc", strict=True) if f in flags or (f == "c" and "m" in flags)]
        ctx.out.write((" ".join(cols) + ("" if name == "-" else f" {name}") + "\n").encode())
    if len(inputs) > 1:
        cols = [str(n) for n, f in zip(totals, "lwc", strict=True) if f in flags]
        ctx.out.write((" ".join(cols) + " total\n").encode())
    return 0


def _head_tail(ctx: Ctx, args: list[str], cmd: str) -> int:
    count, paths, i = 10, [], 0
    while i < len(args):
        a = args[i]
        if a == "-n" and i + 1 < len(args):
            count, i = int(args[i + 1].lstrip("+")), i + 2
            continue
        if a.startswith("-n"):
            count = int(a[2:].lstrip("+"))
        elif a.startswith("-") and a[1:].isdigit():
            count = int(a[1:])
        else:
            paths.append(a)
        i += 1
    inputs = _read_inputs(ctx, cmd, paths)
    if inputs is None:
        return 1
    for name, data in inputs:
        if len(inputs) > 1:
            ctx.out.write(f"==> {name} <==\n".encode())
        lines = data.splitlines(keepends=True)
        ctx.out.write(b"".join(lines[:count] if cmd == "head" else lines[-count:] if count else []))
    return 0


def b_head(ctx: Ctx, args: list[str]) -> int:
    return _head_tail(ctx, args, "head")


def b_tail(ctx: Ctx, args: list[str]) -> int:
    return _head_tail(ctx, args, "tail")


def b_grep(ctx: Ctx, args: list[str]) -> int:
    import re

    flags, rest = _flags(args, "inrRvclEFwqsHho")
    if not rest:
        ctx.err.write(b"usage: grep [-inrvclEFwqsHo] PATTERN [FILE...]\n")
        return 2
    pattern, paths = rest[0], rest[1:]
    text = re.escape(pattern) if "F" in flags else pattern
    if "w" in flags:
        text = rf"\b(?:{text})\b"
    try:
        rx = re.compile(text.encode(), re.IGNORECASE if "i" in flags else 0)
    except re.error as exc:
        ctx.err.write(f"grep: invalid pattern: {exc}\n".encode())
        return 2
    files: list[tuple[str, bytes]] = []
    recursive = bool(flags & {"r", "R"})
    for p in paths or (["."] if recursive else ["-"]):
        if recursive and p != "-" and ctx.fs.is_dir(ctx.abs(p)):
            for e in ctx.fs.walk(ctx.abs(p)):
                ctx.check_deadline()
                if e.is_file:
                    rel = p.rstrip("/") + e.path[len(ctx.abs(p).rstrip("/")) :]
                    try:
                        files.append((rel, ctx.fs.read_bytes(e.path)))
                    except OSError:
                        continue
        else:
            got = _read_inputs(ctx, "grep", [p])
            if got is None:
                continue
            files.extend(got)
    show_name = ("H" in flags or len(files) > 1 or recursive) and "h" not in flags
    found = False
    for name, data in files:
        hits = 0
        for n, line in enumerate(data.splitlines(), 1):
            if (rx.search(line) is not None) != ("v" in flags):
                hits += 1
                found = True
                if "q" in flags:
                    return 0
                if "c" in flags or "l" in flags:
                    continue
                prefix = (f"{name}:" if show_name else "") + (f"{n}:" if "n" in flags else "")
                body = b"\n".join(m.group(0) for m in rx.finditer(line)) if "o" in flags else line
                ctx.out.write(prefix.encode() + body + b"\n")
        if "c" in flags:
            ctx.out.write(((f"{name}:" if show_name else "") + f"{hits}\n").encode())
        elif "l" in flags and hits:
            ctx.out.write(f"{name}\n".encode())
    return 0 if found else 1


def b_bracket(ctx: Ctx, args: list[str]) -> int:
    if not args or args[-1] != "]":
        ctx.err.write(b"[: missing ']'\n")
        return 2
    return b_test(ctx, args[:-1])


def b_test(ctx: Ctx, args: list[str]) -> int:
    from ._test_expr import evaluate

    try:
        return 0 if evaluate(ctx, args) else 1
    except ValueError as exc:
        ctx.err.write(f"test: {exc}\n".encode())
        return 2


def b_env(ctx: Ctx, args: list[str]) -> int:
    ctx.out.write("".join(f"{k}={v}\n" for k, v in sorted(ctx.env.items())).encode())
    return 0


def b_export(ctx: Ctx, args: list[str]) -> int:
    for a in args:
        if "=" in a:
            k, v = a.split("=", 1)
            ctx.env[k] = v
    return 0


def b_seq(ctx: Ctx, args: list[str]) -> int:
    try:
        nums = [int(a) for a in args]
    except ValueError:
        ctx.err.write(b"seq: invalid argument\n")
        return 1
    first, step, last = (1, 1, nums[0]) if len(nums) == 1 else (nums[0], 1, nums[1]) if len(nums) == 2 else nums
    if not step or abs((last - first) // step) > 1_000_000:
        ctx.err.write(b"seq: too many numbers\n")
        return 1
    ctx.out.write("".join(f"{n}\n" for n in range(first, last + (1 if step > 0 else -1), step)).encode())
    return 0


def b_sleep(ctx: Ctx, args: list[str]) -> int:
    seconds = float(args[0]) if args else 0.0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ctx.check_deadline()
        time.sleep(min(0.05, max(0.0, end - time.monotonic())))
    return 0


def b_sort(ctx: Ctx, args: list[str]) -> int:
    flags, paths = _flags(args, "rnu")
    inputs = _read_inputs(ctx, "sort", paths)
    if inputs is None:
        return 2
    lines = [ln for _, d in inputs for ln in d.splitlines()]
    key = (
        (lambda s: float(s.split()[0]) if s.split() and s.split()[0].lstrip(b"-").isdigit() else 0.0)
        if "n" in flags
        else None
    )
    lines = sorted(set(lines) if "u" in flags else lines, key=key, reverse="r" in flags)
    ctx.out.write(b"".join(ln + b"\n" for ln in lines))
    return 0


def b_basename(ctx: Ctx, args: list[str]) -> int:
    ctx.out.write((os.path.basename(args[0].rstrip("/")) + "\n").encode() if args else b"\n")
    return 0


def b_dirname(ctx: Ctx, args: list[str]) -> int:
    ctx.out.write(((os.path.dirname(args[0].rstrip("/")) or ".") + "\n").encode() if args else b".\n")
    return 0


def b_realpath(ctx: Ctx, args: list[str]) -> int:
    ctx.out.write("".join(normalize(a, ctx.cwd) + "\n" for a in args).encode())
    return 0


BUILTINS: dict[str, Builtin] = {
    **FILE_COMMANDS,
    "echo": b_echo, "printf": b_printf, "cat": b_cat, "wc": b_wc, "head": b_head, "tail": b_tail, "grep": b_grep,
    "test": b_test, "[": b_bracket, "env": b_env, "printenv": b_env,
    "export": b_export, "seq": b_seq, "sleep": b_sleep, "sort": b_sort,
    "basename": b_basename, "dirname": b_dirname, "realpath": b_realpath,
    "true": lambda ctx, args: 0, "false": lambda ctx, args: 1, ":": lambda ctx, args: 0,
}  # fmt: skip
