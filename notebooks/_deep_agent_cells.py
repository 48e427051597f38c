"""The cells of notebook 07 (a deep agent analysing a CSV in a local Wasm sandbox), kept apart from
``_generate.py`` so each file stays small. Same format: strings, ``md:`` for markdown."""

CELLS = [
    """md:# 7. A deep agent that analyses a CSV in a local Wasm sandbox

    **Needs:** `pip install -e '.[deepagents]'` (Deep Agents and the CPython-on-WASI runtime). Works offline: the
    model here is a *recorded* one (it replays the tool calls a model makes for this task), so the notebook runs
    in CI; swap in any tool-calling chat model to run it for real.

    `WasmSandbox` is a Deep Agents sandbox backend: the agent's file tools and its `execute` tool work on files
    in the sandbox's own workspace, and `python3` runs in CPython compiled to WebAssembly with pandas. No VM,
    no account, no network.""",
    """
    import time
    from deepagents import create_deep_agent
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage
    from langchain_wasm.integrations.deepagents import WasmSandbox

    class RecordedModel(GenericFakeChatModel):
        def bind_tools(self, tools, **kwargs):
            return self

    def step(name, args, i):
        return AIMessage("", tool_calls=[{"name": name, "args": args, "id": f"call_{i}", "type": "tool_call"}])

    CSV = "city,month,temp\\nParis,Jan,5\\nParis,Jul,25\\nOslo,Jan,-4\\nOslo,Jul,17\\nRome,Jan,8\\nRome,Jul,31\\n"
    ANALYSE = (
        "python3 -c \\"import pandas as pd; d = pd.read_csv('/workspace/temps.csv'); "
        "s = d.pivot(index='city', columns='month', values='temp'); s['swing'] = s.Jul - s.Jan; "
        "s.sort_values('swing').to_csv('/workspace/swing.csv'); print(s)\\""
    )
    recorded = iter([
        step("write_file", {"file_path": "/workspace/temps.csv", "content": CSV}, 1),
        step("execute", {"command": ANALYSE}, 2),
        step("read_file", {"file_path": "/workspace/swing.csv"}, 3),
        step("edit_file", {"file_path": "/workspace/swing.csv", "old_string": "city,", "new_string": "City,"}, 4),
        step("execute", {"command": "head -n 2 swing.csv && ls -l"}, 5),
        AIMessage("Oslo has the smallest swing (21 degrees), Rome the largest (23 degrees)."),
    ])
    backend = WasmSandbox(thread_id="csv-demo")  # the sandbox used outside a run, too
    agent = create_deep_agent(model=RecordedModel(messages=recorded), backend=backend)
    """,
    """
    t0 = time.perf_counter()
    state = agent.invoke({"messages": [{"role": "user", "content": "Which city has the largest temperature swing?"}]},
                         {"configurable": {"thread_id": "csv-demo"}})
    for m in state["messages"][1:]:
        print(f"--- {m.type}: {str(m.content)[:300]}")
    print(f"agent run: {time.perf_counter() - t0:.1f} s")
    """,
    """md:The files are in that thread's sandbox; the host only touches them through descriptors that never follow a
    link the code planted.""",
    """
    print(backend.download_files(["/workspace/swing.csv"])[0].content.decode())
    r = backend.execute("cat /etc/passwd; ls /; frobnicate")
    print(r.output, "exit", r.exit_code)
    """,
    """md:A command that runs away is stopped at its timeout; the files stay.""",
    """
    r = backend.execute("python3 -c 'while True: pass'", timeout=2)
    print(r.exit_code, r.output.strip()[-60:])
    print(backend.execute("ls").output)
    backend.close()
    """,
]
