"""Component fuzzing: random WIT worlds made into real components whose code answers with random bytes.

    python -m tests.reliability.component_fuzz [--components N] [--seed S] [--workers W] [--json]

Component ``index`` of run ``seed`` is generated deterministically: a random WIT world (records, variants,
enums, flags, lists, options, results, tuples, strings, chars, every integer and float type, nested; now and
then a resource, which has no JSON form and must be refused cleanly), a core module for it from
``wasm-tools component embed --dummy`` whose function bodies are then rewritten: ``cabi_realloc`` becomes a bump
allocator, every export returns a random value or a pointer into a page of random words (small integers,
plausible pointers and lengths, noise), and ``wasm-tools component new`` makes the component. So the host lifts
results it cannot trust: bad discriminants, out-of-bounds lists, invalid UTF-8, invalid chars, huge lengths.

Each component goes through load, schema derivation for every function, ``call_json`` with arguments valid for
the derived schema (the lifted result must then be valid for the derived output schema), one bad-argument call
(must be refused before the guest runs), and ``WasmTool.from_module(...).invoke``. Every outcome must be a result
or one of our typed errors; anything else, or a result breaking its own schema, is a finding. Components run in
the supervised worker processes of ``fuzz.py`` (a worker that dies is a crash, one that stops reporting a hang).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.reliability import fuzz

TIGHT = {"timeout_s": 0.5, "fuel": 5_000_000, "memory_bytes": 16 * 1024 * 1024}
_WORDS = ["alpha", "beta", "gamma", "delta", "kappa", "omega", "sigma", "theta"]
_PRIMS = ["bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "f32", "f64", "char", "string"]
_INT = {
    "u8": (0, 2**8 - 1),
    "u16": (0, 2**16 - 1),
    "u32": (0, 2**32 - 1),
    "u64": (0, 2**64 - 1),
    "s8": (-(2**7), 2**7 - 1),
    "s16": (-(2**15), 2**15 - 1),
    "s32": (-(2**31), 2**31 - 1),
    "s64": (-(2**63), 2**63 - 1),
}


# -- a random WIT world ------------------------------------------------------------------------------------------


class World:
    """Random WIT types: ``defs`` holds the named ones; each type is also kept as a tree for value generation."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.defs: list[str] = []
        self.named: dict[str, tuple[Any, ...]] = {}
        self.uses_resource = False
        self.count = 0

    def name(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}-{self.rng.choice(_WORDS)}-x{self.count}"

    def type(self, depth: int) -> tuple[str, tuple[Any, ...]]:
        """(WIT spelling, tree) of a random type."""
        rng = self.rng
        if depth <= 0 or rng.random() < 0.35:
            p = rng.choice(_PRIMS)
            return p, ("prim", p)
        kind = rng.choice(["list", "option", "result", "tuple", "record", "variant", "enum", "flags"])
        if kind == "list":
            s, t = self.type(depth - 1)
            return f"list<{s}>", ("list", t)
        if kind == "option":
            s, t = self.type(depth - 1)
            return f"option<{s}>", ("option", t)
        if kind == "result":
            ok = self.type(depth - 1) if rng.random() < 0.8 else None
            err = self.type(depth - 1) if rng.random() < 0.8 else None
            spelled = f"result<{ok[0] if ok else '_'}, {err[0] if err else '_'}>"
            if ok is None and err is None:
                spelled = "result"
            elif err is None:
                spelled = f"result<{ok[0]}>" if ok else spelled
            return spelled, ("result", ok[1] if ok else None, err[1] if err else None)
        if kind == "tuple":
            parts = [self.type(depth - 1) for _ in range(rng.randrange(1, 4))]
            return "tuple<" + ", ".join(s for s, _ in parts) + ">", ("tuple", [t for _, t in parts])
        name = self.name(kind[:3])
        if kind == "record":
            fields = [(f"f{i}-{rng.choice(_WORDS)}", self.type(depth - 1)) for i in range(rng.randrange(1, 5))]
            self.defs.append(f"record {name} {{ " + ", ".join(f"{n}: {s}" for n, (s, _) in fields) + " }")
            tree: tuple[Any, ...] = ("record", [(n, t) for n, (_, t) in fields])
        elif kind == "variant":
            cases = [
                (f"c{i}-{rng.choice(_WORDS)}", self.type(depth - 1) if rng.random() < 0.7 else None)
                for i in range(rng.randrange(1, 5))
            ]
            self.defs.append(f"variant {name} {{ " + ", ".join(f"{n}({p[0]})" if p else n for n, p in cases) + " }")
            tree = ("variant", [(n, p[1] if p else None) for n, p in cases])
        elif kind == "enum":
            names = [f"e{i}-{rng.choice(_WORDS)}" for i in range(rng.randrange(1, 6))]
            self.defs.append(f"enum {name} {{ " + ", ".join(names) + " }")
            tree = ("enum", names)
        else:
            names = [f"g{i}-{rng.choice(_WORDS)}" for i in range(rng.randrange(1, 9))]
            self.defs.append(f"flags {name} {{ " + ", ".join(names) + " }")
            tree = ("flags", names)
        self.named[name] = tree
        return name, tree


def random_world(rng: random.Random) -> tuple[str, list[tuple[str, list[tuple[str, Any]], Any]]]:
    """WIT text of a random world and its functions: (name, [(param, tree)], result tree or None)."""
    w = World(rng)
    funcs = []
    lines = []
    for i in range(rng.randrange(1, 4)):
        fname = f"fn{i}-{rng.choice(_WORDS)}"
        params = []
        for j in range(rng.randrange(0, 4)):
            s, t = w.type(rng.randrange(0, 4))
            params.append((f"p{j}", s, t))
        result = w.type(rng.randrange(0, 4)) if rng.random() < 0.85 else None
        sig = ", ".join(f"{n}: {s}" for n, s, _ in params)
        lines.append(f"  export {fname}: func({sig})" + (f" -> {result[0]}" if result else "") + ";")
        funcs.append((fname, [(n, t) for n, _, t in params], result[1] if result else None))
    interface = ""
    roll = rng.random()
    if roll < 0.05:  # a resource the world imports: refused when loaded (deny by default)
        lines.append("  resource handle-x { constructor(); }")
        lines.append("  export make-handle: func() -> handle-x;")
        w.uses_resource = True
    elif roll < 0.12:  # an exported interface with a resource: its functions have no JSON form (typed refusal)
        interface = (
            "interface res {\n  resource handle-x { constructor(); get: func() -> u32; }\n"
            "  make: func(n: u32) -> handle-x;\n  peek: func(h: borrow<handle-x>) -> u32;\n}\n\n"
        )
        lines.append("  export res;")
        w.uses_resource = True
    body = "".join(f"  {d}\n" for d in w.defs) + "\n".join(lines)
    return f"package fuzz:c{rng.randrange(10**6)};\n\n{interface}world w {{\n{body}\n}}\n", funcs


def value(tree: Any, rng: random.Random, depth: int = 0) -> Any:
    """A JSON value of our WIT JSON form (see langchain_wasm.abi.wit_types) for the type ``tree``."""
    kind = tree[0]
    if kind == "prim":
        p = tree[1]
        if p == "bool":
            return rng.random() < 0.5
        if p in _INT:
            lo, hi = _INT[p]
            return rng.choice([lo, hi, 0, rng.randint(lo, hi)])
        if p in ("f32", "f64"):
            return rng.choice([0.0, -1.5, 3.25, 1e30 if p == "f64" else 1e20, rng.uniform(-1e6, 1e6)])
        if p == "char":
            return rng.choice(["a", "é", "\u2603", "\U0001f600", chr(rng.randrange(32, 0xD7FF))])
        return "".join(rng.choice('ab\u00e9\u2603 \n"\\') for _ in range(rng.randrange(0, 12)))
    if kind == "list":
        return [value(tree[1], rng, depth + 1) for _ in range(rng.randrange(0, 4 if depth < 3 else 1))]
    if kind == "option":
        return None if rng.random() < 0.3 else value(tree[1], rng, depth + 1)
    if kind == "result":
        tag = "ok" if rng.random() < 0.5 else "err"
        payload = tree[1] if tag == "ok" else tree[2]
        return {tag: None if payload is None else value(payload, rng, depth + 1)}
    if kind == "tuple":
        return [value(t, rng, depth + 1) for t in tree[1]]
    if kind == "record":
        return {n: value(t, rng, depth + 1) for n, t in tree[1]}
    if kind == "variant":
        name, payload = rng.choice(tree[1])
        return name if payload is None else {name: value(payload, rng, depth + 1)}
    if kind == "enum":
        return rng.choice(tree[1])
    return rng.sample(tree[1], rng.randrange(0, len(tree[1]) + 1))  # flags


def wrong_value(tree: Any, rng: random.Random) -> Any:
    """A JSON value that is never valid for ``tree`` (the host must refuse it before the guest runs)."""
    kind, arg = tree[0], tree[1] if len(tree) > 1 else None
    if kind == "prim" and arg in _INT:
        lo, hi = _INT[arg]
        return rng.choice([hi + 1, lo - 1, 2**70, 1.5, "7", True if arg != "bool" else 1])
    if kind == "prim" and arg == "char":
        return rng.choice(["ab", "", "\ud800", 65])
    if kind == "prim" and arg == "string":
        return rng.choice(["\ud800", 12, None, ["x"]])
    if kind == "enum":
        return arg[0] + "-nope"
    if kind == "flags":
        return [*arg, arg[0]] if rng.random() < 0.5 else ["not-a-flag"]
    if kind == "tuple":
        return [value(t, rng) for t in arg] + [0]
    return {"surprise": [1, 2]}  # no record, variant, result, list or option (of these) admits this object


# -- the core module: random answers -----------------------------------------------------------------------------

_FUNC = re.compile(r"\(func \(;(\d+);\) \(type \d+\)(?P<sig>[^\n]*)\n(?P<body>(?:    [^\n]*\n)*?)  \)")
_EXPORT = re.compile(r'\(export "([^"]+)" \(func (\d+)\)\)')

REALLOC = """(param i32 i32 i32 i32) (result i32)
    (local $p i32)
    global.get $bump
    local.get 2
    i32.const 1
    i32.sub
    i32.add
    i32.const 0
    local.get 2
    i32.sub
    i32.and
    local.tee $p
    local.get 3
    i32.add
    global.set $bump
    block
      loop
        global.get $bump
        memory.size
        i32.const 16
        i32.shl
        i32.le_u
        br_if 1
        i32.const 1
        memory.grow
        i32.const -1
        i32.eq
        if
          unreachable
        end
        br 0
      end
    end
    local.get $p
"""


def _word(rng: random.Random) -> int:
    r = rng.random()
    if r < 0.4:
        return rng.randrange(0, 5)  # discriminants, bools, small lengths
    if r < 0.7:
        return rng.randrange(0, 4096, 8)  # pointers into the random page
    if r < 0.8:
        return rng.randrange(0, 24)  # lengths
    return rng.getrandbits(32)  # noise: huge lengths, wild pointers, invalid chars


def _const(kind: str, rng: random.Random) -> str:
    if kind == "i32":
        return f"i32.const {rng.randrange(0, 4096, 8) if rng.random() < 0.7 else rng.getrandbits(32) - 2**31}"
    if kind == "i64":
        return f"i64.const {rng.getrandbits(64) - 2**63 if rng.random() < 0.5 else rng.randrange(0, 5)}"
    return f"{kind}.const {rng.choice(['0', '-1.5', 'nan', 'inf', '-inf', '1e30', str(rng.uniform(-1e9, 1e9))])}"


def core_wat(dummy_wat: str, rng: random.Random) -> str:
    """Rewrite the dummy module: a bump allocator, random answers, a page of random words."""
    exports = {int(idx): name for name, idx in _EXPORT.findall(dummy_wat)}

    def body(m: re.Match[str]) -> str:
        idx, sig = int(m.group(1)), m.group("sig")
        name = exports.get(idx, "")
        head = f"(func (;{idx};) (type {_type_of(m.group(0))})"
        if name.endswith("_realloc"):
            return f"{head} {REALLOC}  )"
        if "unreachable" not in m.group("body") or not name:
            return m.group(0)
        results = re.findall(r"\(result ([^)]*)\)", sig)
        kinds = results[0].split() if results else []
        return f"{head}{sig}\n" + "".join(f"    {_const(k, rng)}\n" for k in kinds) + "  )"

    out = _FUNC.sub(body, dummy_wat)
    words = b"".join(_word(rng).to_bytes(4, "little") for _ in range(1024))
    data = "".join(f"\\{b:02x}" for b in words)
    out = re.sub(r"\(memory \(;0;\) \d+\)", "(memory (;0;) 1)", out, count=1)
    tail = f'  (global $bump (mut i32) (i32.const 8192))\n  (data (i32.const 0) "{data}")\n'
    i = out.index("(@custom") if "(@custom" in out else out.rstrip().rindex(")")
    return out[:i] + tail + "  " + out[i:]


def _type_of(func_text: str) -> str:
    return re.search(r"\(type (\d+)\)", func_text).group(1)  # type: ignore[union-attr]


def generate(seed: int, index: int, tool: str, workdir: Path) -> tuple[fuzz.Generated, list[Any]]:
    rng = random.Random(f"lcw-cfuzz:{seed}:{index}")
    wit, funcs = random_world(rng)
    wit_file, core, comp = workdir / f"w{index}.wit", workdir / f"c{index}.wasm", workdir / f"k{index}.wasm"
    wit_file.write_text(wit)
    data, note = b"", ""
    try:
        subprocess.run([tool, "component", "embed", "--dummy", str(wit_file), "-t", "-o", str(core)],
                       check=True, capture_output=True, timeout=60)  # fmt: skip
        wat = core_wat(core.read_text(), rng)
        core.write_bytes(b"")
        (workdir / f"c{index}.wat").write_text(wat)
        subprocess.run([tool, "parse", str(workdir / f"c{index}.wat"), "-o", str(core)],
                       check=True, capture_output=True, timeout=60)  # fmt: skip
        subprocess.run([tool, "component", "new", str(core), "-o", str(comp)],
                       check=True, capture_output=True, timeout=60)  # fmt: skip
        data = comp.read_bytes()
    except subprocess.CalledProcessError as exc:  # a generator bug, not a host finding: report it as such
        note = "generator: " + (exc.stderr or b"").decode(errors="replace").strip()[-300:]
    for f in (wit_file, core, comp, workdir / f"c{index}.wat"):
        f.unlink(missing_ok=True)
    return fuzz.Generated(index, "component", False, data, note), funcs


# -- one component, in the worker --------------------------------------------------------------------------------


def _outcome(exc: BaseException) -> str:
    from langchain_core.tools import ToolException

    from langchain_wasm.errors import LangChainWasmError

    if isinstance(exc, LangChainWasmError | ToolException):
        return type(exc).__name__
    return f"UNTYPED {type(exc).__name__}: {str(exc)[:200]}"


def exercise(gen: fuzz.Generated, funcs: list[Any], engine: Any) -> dict[str, Any]:
    from jsonschema import Draft202012Validator

    from langchain_wasm.abi.component import WasmComponent
    from langchain_wasm.runtime import Limits
    from langchain_wasm.tools import WasmTool

    outcomes: list[tuple[str, str]] = []
    rng = random.Random(f"lcw-cfuzz-args:{gen.index}")
    if not gen.data:
        return {"cases": 1, "outcomes": [("generate", "UNTYPED " + gen.note if gen.note else "empty")]}
    limits = Limits(**TIGHT)  # type: ignore[arg-type]
    try:
        comp = WasmComponent.from_bytes(gen.data, engine=engine, name=f"fuzz{gen.index}")
        outcomes.append(("load", "ok"))
    except Exception as exc:
        return {"cases": 1, "outcomes": [("load", _outcome(exc))]}
    names = list(comp.functions)
    for name in names:
        tree = next((f for f in funcs if name.endswith(f[0])), None)
        try:
            func = comp.function(name)
            in_schema = func.input_schema()
            out_schema = func.output_schema()
            outcomes.append(("schema", "ok"))
        except Exception as exc:
            outcomes.append(("schema", _outcome(exc)))
            continue
        if tree is None:
            continue
        args = {p: value(t, rng) for p, t in tree[1]}
        problems = [e.message for e in Draft202012Validator(in_schema).iter_errors(args)]
        if problems:
            outcomes.append(("args", f"UNTYPED generator value breaks the derived schema: {problems[0][:150]}"))
            continue
        try:
            r = comp.call_json(name, args, limits=limits)
            bad = (
                [] if out_schema is None else [e.message for e in Draft202012Validator(out_schema).iter_errors(r.value)]
            )
            outcomes.append(("call", "ok" if not bad else f"UNTYPED result breaks its own schema: {bad[0][:150]}"))
        except Exception as exc:
            outcomes.append(("call", _outcome(exc)))
        if tree[1]:  # one wrong argument: refused before the guest runs
            wrong = dict(args)
            wrong[tree[1][0][0]] = wrong_value(tree[1][0][1], rng)
            try:
                comp.call_json(name, wrong, limits=limits)
                outcomes.append(("bad-call", "accepted"))
            except Exception as exc:
                outcomes.append(("bad-call", _outcome(exc)))
        try:
            tool = WasmTool.from_module(comp, export=name, limits=limits)
            out = tool.invoke({"type": "tool_call", "id": "c1", "name": tool.name, "args": args})
            outcomes.append(("tool", "ok" if out.status == "success" else "error-message"))
        except Exception as exc:
            outcomes.append(("tool", _outcome(exc)))
    return {"cases": len(outcomes), "outcomes": outcomes}


def worker(seed: int, start: int, stop: int, out: Any) -> None:
    import warnings

    from langchain_wasm import WasmEngine

    warnings.simplefilter("ignore")
    tool = fuzz.wasm_tools()
    engine = WasmEngine(cache_dir=None)
    with tempfile.TemporaryDirectory(prefix="lcw-cfuzz-") as tmp:
        for index in range(start, stop):
            gen, funcs = generate(seed, index, tool, Path(tmp))
            print(json.dumps({"event": "begin", "index": index}), file=out, flush=True)
            t0 = time.perf_counter()
            result = exercise(gen, funcs, engine)
            result.update(event="done", index=index, profile="component", mutated=False, size=len(gen.data),
                          wall_s=round(time.perf_counter() - t0, 4))  # fmt: skip
            print(json.dumps(result), file=out, flush=True)


def run(components: int, *, seed: int = 0, workers: int = 2) -> fuzz.FuzzReport:
    return fuzz.run(components, seed=seed, workers=workers, worker_module="tests.reliability.component_fuzz")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=int(os.environ.get("LCW_FUZZ_COMPONENTS", "60")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("LCW_FUZZ_SEED", "0")))
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--worker", nargs=3, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        worker(*args.worker, out=sys.stdout)
        return 0
    data = run(args.components, seed=args.seed, workers=args.workers).as_dict()
    print(json.dumps(data, indent=1) if args.json else f"{data['modules']} components: {data['by_stage']}\n"
          f"findings: {data['findings'] or 'none'} ({data['wall_s']} s)")  # fmt: skip
    return 1 if data["findings"] else 0


if __name__ == "__main__":
    sys.exit(main())
