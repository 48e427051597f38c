"""The shell's file commands (``ls mkdir rm touch cp mv chmod find cd pwd``), run on the host over
``SandboxFS``, never on host paths; errors printed the way coreutils prints them."""

from __future__ import annotations

import fnmatch
import stat
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._ctx import Ctx

__all__ = ["FILE_COMMANDS", "oserr", "parse_flags", "read_inputs"]


def oserr(ctx: Ctx, cmd: str, path: str, exc: OSError) -> int:
    reason = exc.strerror or str(exc)
    ctx.err.write(f"{cmd}: {path}: {reason}\n".encode())
    return 1


def parse_flags(args: list[str], known: str) -> tuple[set[str], list[str]]:
    """Short flags (``-rf``) before the operands; ``--`` ends them."""
    flags: set[str] = set()
    rest: list[str] = []
    it = iter(args)
    for arg in it:
        if arg == "--":
            rest.extend(it)
            break
        if arg.startswith("-") and len(arg) > 1 and not rest and all(c in known for c in arg[1:]):
            flags.update(arg[1:])
        else:
            rest.append(arg)
    return flags, rest


def read_inputs(ctx: Ctx, cmd: str, paths: list[str]) -> list[tuple[str, bytes]] | None:
    out = []
    for p in paths or ["-"]:
        if p == "-":
            out.append(("-", ctx.stdin))
            continue
        try:
            out.append((p, ctx.fs.read_bytes(ctx.abs(p))))
        except OSError as exc:
            oserr(ctx, cmd, p, exc)
            return None
    return out


def b_ls(ctx: Ctx, args: list[str]) -> int:
    flags, paths = parse_flags(args, "laAh1RFd")
    status = 0
    for i, p in enumerate(paths or ["."]):
        vp = ctx.abs(p)
        try:
            info = ctx.fs.lstat(vp)
            entries = (
                ctx.fs.listdir(vp)
                if (info is None or stat.S_ISDIR(info.st_mode)) and "d" not in flags
                else [ctx.fs._entry(vp, p, info)]  # type: ignore[arg-type]
            )
        except OSError as exc:
            ctx.err.write(f"ls: cannot access '{p}': {exc.strerror}\n".encode())
            status = 2
            continue
        if len(paths) > 1:
            ctx.out.write(f"{'' if i == 0 else chr(10)}{p}:\n".encode())
        shown = [e for e in entries if "a" in flags or "A" in flags or not e.name.startswith(".")]
        for e in shown:
            name = e.name + ("/" if "F" in flags and e.is_dir else "")
            if "l" in flags:
                kind = "d" if e.is_dir else "l" if e.is_link else "-"
                when = datetime.fromtimestamp(e.mtime).strftime("%b %d %H:%M")
                ctx.out.write(f"{kind}{stat.filemode(e.mode)[1:]} 1 user user {e.size:>8} {when} {name}\n".encode())
            else:
                ctx.out.write(f"{name}\n".encode())
    return status


def b_mkdir(ctx: Ctx, args: list[str]) -> int:
    flags, paths = parse_flags(args, "pv")
    if not paths:
        ctx.err.write(b"mkdir: missing operand\n")
        return 1
    status = 0
    for p in paths:
        try:
            ctx.fs.mkdir(ctx.abs(p), parents="p" in flags)
        except FileExistsError:
            ctx.err.write(f"mkdir: cannot create directory '{p}': File exists\n".encode())
            status = 1
        except OSError as exc:
            ctx.err.write(f"mkdir: cannot create directory '{p}': {exc.strerror}\n".encode())
            status = 1
    return status


def b_rm(ctx: Ctx, args: list[str]) -> int:
    flags, paths = parse_flags(args, "rfRdv")
    status = 0
    for p in paths:
        vp = ctx.abs(p)
        if vp.count("/") < 2:
            ctx.err.write(f"rm: refusing to remove '{p}'\n".encode())
            status = 1
            continue
        try:
            ctx.fs.remove(vp, recursive=bool(flags & {"r", "R"}))
        except FileNotFoundError:
            if "f" not in flags:
                ctx.err.write(f"rm: cannot remove '{p}': No such file or directory\n".encode())
                status = 1
        except OSError as exc:
            ctx.err.write(f"rm: cannot remove '{p}': {exc.strerror}\n".encode())
            status = 1
    return status


def b_touch(ctx: Ctx, args: list[str]) -> int:
    _, paths = parse_flags(args, "acm")
    status = 0
    for p in paths:
        try:
            ctx.fs.touch(ctx.abs(p))
        except OSError as exc:
            ctx.err.write(f"touch: cannot touch '{p}': {exc.strerror}\n".encode())
            status = 1
    return status


def _copy_or_move(ctx: Ctx, args: list[str], cmd: str) -> int:
    flags, paths = parse_flags(args, "rRfinpv")
    if len(paths) < 2:
        ctx.err.write(f"{cmd}: missing destination file operand\n".encode())
        return 1
    *sources, dest = paths
    dest_v = ctx.abs(dest)
    into = ctx.fs.is_dir(dest_v)
    if len(sources) > 1 and not into:
        ctx.err.write(f"{cmd}: target '{dest}' is not a directory\n".encode())
        return 1
    status = 0
    for src in sources:
        src_v = ctx.abs(src)
        target = f"{dest_v.rstrip('/')}/{src_v.rsplit('/', 1)[-1]}" if into else dest_v
        try:
            if cmd == "mv":
                ctx.fs.rename(src_v, target)
            elif ctx.fs.is_dir(src_v):
                if not flags & {"r", "R"}:
                    ctx.err.write(f"cp: -r not specified; omitting directory '{src}'\n".encode())
                    status = 1
                    continue
                _copy_tree(ctx, src_v, target)
            else:
                ctx.fs.write_bytes(target, ctx.fs.read_bytes(src_v))
        except OSError as exc:
            status = oserr(ctx, cmd, src, exc)
    return status


def _copy_tree(ctx: Ctx, src: str, dst: str) -> None:
    ctx.fs.mkdir(dst, parents=True)
    for entry in ctx.fs.listdir(src):
        ctx.check_deadline()
        target = f"{dst}/{entry.name}"
        if entry.is_dir:
            _copy_tree(ctx, entry.path, target)
        elif entry.is_file:
            ctx.fs.write_bytes(target, ctx.fs.read_bytes(entry.path))


def b_cp(ctx: Ctx, args: list[str]) -> int:
    return _copy_or_move(ctx, args, "cp")


def b_mv(ctx: Ctx, args: list[str]) -> int:
    return _copy_or_move(ctx, args, "mv")


def b_chmod(ctx: Ctx, args: list[str]) -> int:
    flags, rest = parse_flags(args, "Rfv")
    if len(rest) < 2:
        ctx.err.write(b"chmod: missing operand\n")
        return 1
    spec, paths = rest[0], rest[1:]
    status = 0
    for p in paths:
        try:
            info = ctx.fs.lstat(ctx.abs(p))
            mode = _mode(spec, 0 if info is None else info.st_mode & 0o7777)
            ctx.fs.chmod(ctx.abs(p), mode)
        except ValueError:
            ctx.err.write(f"chmod: invalid mode: '{spec}'\n".encode())
            return 1
        except OSError as exc:
            if "f" not in flags:
                ctx.err.write(f"chmod: cannot access '{p}': {exc.strerror}\n".encode())
            status = 1
    return status


def _mode(spec: str, current: int) -> int:
    if spec.isdigit():
        return int(spec, 8)
    mode = current
    for clause in spec.split(","):
        who = "".join(c for c in clause if c in "ugoa") or "a"
        op_at = next(i for i, c in enumerate(clause) if c in "+-=")
        perms = clause[op_at + 1 :]
        bits = sum({"r": 4, "w": 2, "x": 1}[c] for c in perms if c in "rwx")
        mask = 0
        for w in who:
            for shift in {"u": (6,), "g": (3,), "o": (0,), "a": (6, 3, 0)}[w]:
                mask |= bits << shift
        op = clause[op_at]
        mode = mode | mask if op == "+" else mode & ~mask if op == "-" else mask
    return mode


def b_pwd(ctx: Ctx, args: list[str]) -> int:
    ctx.out.write(f"{ctx.cwd}\n".encode())
    return 0


def b_cd(ctx: Ctx, args: list[str]) -> int:
    target = ctx.abs(args[0] if args else ctx.env.get("HOME", "/workspace"))
    if not ctx.fs.is_dir(target):
        ctx.err.write(f"cd: {args[0] if args else target}: No such file or directory\n".encode())
        return 1
    ctx.cwd = ctx.env["PWD"] = target
    return 0


def b_find(ctx: Ctx, args: list[str]) -> int:
    root = args[0] if args and not args[0].startswith("-") else "."
    opts = args[1:] if args and not args[0].startswith("-") else args
    name = opts[opts.index("-name") + 1] if "-name" in opts and opts.index("-name") + 1 < len(opts) else None
    kind = opts[opts.index("-type") + 1] if "-type" in opts and opts.index("-type") + 1 < len(opts) else None
    base = ctx.abs(root)
    if not ctx.fs.exists(base):
        ctx.err.write(f"find: '{root}': No such file or directory\n".encode())
        return 1
    for e in ctx.fs.walk(base):
        ctx.check_deadline()
        if name is not None and not fnmatch.fnmatchcase(e.name, name):
            continue
        if kind is not None and ((kind == "f") != e.is_file or (kind == "d") != e.is_dir):
            continue
        ctx.out.write(f"{root.rstrip('/')}{e.path[len(base.rstrip('/')) :]}\n".encode())
    return 0


FILE_COMMANDS = {
    "ls": b_ls, "mkdir": b_mkdir, "rm": b_rm, "touch": b_touch, "cp": b_cp, "mv": b_mv, "chmod": b_chmod,
    "find": b_find, "cd": b_cd, "pwd": b_pwd,
}  # fmt: skip
