"""One sandbox: a workspace, its shell, and the Wasm CPython that runs its ``python`` commands.

The workspace outlives the interpreter: a command that hits a limit (time, memory) ends the interpreter and
the next ``python`` starts a new one, with every file still there. ``python`` command lines run as fresh
``__main__`` namespaces in the kept interpreter (imports stay warm, like a cached process), with their own
``sys.argv``, stdin, cwd and environment, restored afterwards.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace

from langchain_wasm.errors import WasmCallError, WasmTimeoutError
from langchain_wasm.python.interpreter import Interpreter
from langchain_wasm.python.results import ResultCaps
from langchain_wasm.python.sandbox import WasmPythonSandbox
from langchain_wasm.python.snapshot import decode_snapshot, encode_snapshot
from langchain_wasm.python.workspace import Workspace

from ._fs import SandboxFS
from ._shell import CommandTimeout, Shell, ShellResult

__all__ = ["SandboxSession", "python_command"]

PYTHON_VERSION = "Python 3.15.0 (CPython on WebAssembly, wasm32-wasip1)"
_WRAPPER = r"""
def _lcw_command(kind, src, argv, cwd, env, stdin):
    import io, os, sys
    saved = (sys.argv, os.getcwd(), dict(os.environ), sys.stdin)
    sys.argv = argv
    os.environ.clear()
    os.environ.update(env)
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        os.chdir(cwd)
        glb = {"__name__": "__main__", "__builtins__": __builtins__}
        if kind == "m":
            import runpy
            runpy.run_module(src, run_name="__main__", alter_sys=True)
            return
        if kind == "f":
            try:
                with open(src, encoding="utf-8") as fh:
                    code = fh.read()
            except OSError as exc:
                where = os.path.abspath(src)
                sys.stderr.write(f"python3: can't open file {where!r}: [Errno {exc.errno}] {exc.strerror}\n")
                raise SystemExit(2)
            glb["__file__"] = src
            src_name = src
        else:
            code, src_name = src, "<string>" if kind == "c" else "<stdin>"
        try:
            exec(compile(code, src_name, "exec"), glb)
        except SystemExit:
            raise
        except BaseException as exc:
            if type(exc).__name__ == "OutputLimitExceeded":
                raise
            import traceback
            tb = exc.__traceback__
            traceback.print_exception(type(exc), exc, tb.tb_next if tb is not None else None)
            raise SystemExit(1)
    finally:
        sys.argv, sys.stdin = saved[0], saved[3]
        os.environ.clear()
        os.environ.update(saved[2])
        try:
            os.chdir(saved[1])
        except OSError:
            pass
"""


def python_command(argv: list[str], stdin: bytes) -> tuple[str, str, list[str]] | str:
    """``(kind, source-or-path, sys.argv)`` for a ``python3`` command line, or the text to print (``-V``)."""
    args = argv[1:]
    while args and args[0] in ("-u", "-B", "-I", "-E", "-s", "-S", "-O", "-q", "-X"):
        args = args[2:] if args[0] == "-X" else args[1:]
    if args and args[0] in ("-V", "--version"):
        return PYTHON_VERSION + "\n"
    if args and args[0] == "-c":
        if len(args) < 2:
            return "Argument expected for the -c option\n"
        return "c", args[1], ["-c", *args[2:]]
    if args and args[0] == "-m":
        if len(args) < 2:
            return "Argument expected for the -m option\n"
        return "m", args[1], [args[1], *args[2:]]
    if not args or args[0] == "-":
        return "s", stdin.decode("utf-8", "replace"), ["-", *args[1:]] if args else [""]
    return "f", args[0], list(args)


class SandboxSession:
    """A sandbox's files (``/workspace``, ``/tmp``), shell and interpreter.

    Args:
        python: the Python sandbox whose runtime, limits and preloaded modules the interpreter uses.
        env: the shell's environment.
        max_output_bytes: most bytes one ``execute`` returns.
    """

    def __init__(self, python: WasmPythonSandbox, *, env: dict[str, str], max_output_bytes: int) -> None:
        self.id = "wasm-" + uuid.uuid4().hex[:12]
        self.python = python
        self.workspace = Workspace(python.workspace_root)
        self.fs = SandboxFS(self.workspace)
        self.shell = Shell(self.fs, self._run_python, env=env, max_output_bytes=max_output_bytes)
        self.max_output_bytes = max_output_bytes
        self._interp: Interpreter | None = None
        self.lock = threading.RLock()
        self.closed = False
        self.digest: str | None = None  # the store copy these files match

    def execute(self, command: str, timeout_s: float) -> ShellResult:
        with self.lock:
            if self.closed:
                raise WasmCallError("this sandbox has been deleted")
            return self.shell.run(command, timeout_s=timeout_s)

    # -- python --------------------------------------------------------------------------------------------
    def interpreter(self) -> Interpreter:
        if self._interp is None or self._interp.ended is not None:
            template = self.python.template()

            def fresh() -> Interpreter:
                return Interpreter(
                    self.python.runtime,
                    self.workspace,
                    self.python.limits,
                    install=template is None,
                    file_write_bytes=self.python.file_write_bytes,
                    workspace_bytes=self.python.workspace_bytes,
                    workspace_entries=self.python.workspace_entries,
                )

            interp = fresh() if template is None else template.start(fresh)
            interp.run(_WRAPPER, self.python.limits, ResultCaps())
            self._interp = interp
        return self._interp

    def _run_python(
        self, argv: list[str], stdin: bytes, cwd: str, env: dict[str, str], timeout_s: float
    ) -> tuple[bytes, int]:
        parsed = python_command(argv, stdin)
        if isinstance(parsed, str):
            return parsed.encode(), 0 if parsed.startswith("Python") else 2
        kind, src, args = parsed
        lim = replace(
            self.python.limits,
            timeout_s=timeout_s,
            stdout_bytes=self.max_output_bytes + 1,
            stderr_bytes=self.max_output_bytes + 1,
        )
        call = f"_lcw_command({kind!r}, {src!r}, {args!r}, {cwd!r}, {env!r}, {stdin!r})"
        try:
            result = self.interpreter().run(call, lim, ResultCaps())
        except WasmTimeoutError as exc:
            raise CommandTimeout(exc.stdout + exc.stderr) from exc
        except WasmCallError as exc:
            note = f"\n[python stopped: {exc}; the interpreter was restarted, files are kept]\n"
            return exc.stdout + exc.stderr + note.encode(), 137
        data = (result.stdout + result.stderr).encode("utf-8", "surrogateescape")
        if result.error is not None:  # only the driver's own stops get here (output cap)
            data += f"\n[{result.error.type}: {result.error.message}]\n".encode()
            return data, 1
        return data, result.exit_code

    # -- persistence ---------------------------------------------------------------------------------------
    def snapshot(self) -> bytes:
        """The sandbox's files as a session snapshot blob (no interpreter state: commands are processes)."""
        with self.lock:
            baseline = self.python.baseline_memory()
            packed = self.workspace.pack(self.python.snapshot_workspace_bytes)
            return encode_snapshot(baseline, baseline, packed, runtime=self.python.runtime.digest)

    def restore(self, blob: bytes, *, replace: bool = False) -> None:
        """Bring back the files of ``snapshot()`` (``SnapshotError`` if the blob is not one of this runtime's);
        ``replace`` first deletes the files there are now."""
        data = decode_snapshot(
            blob,
            runtime=self.python.runtime.digest,
            memory_cap=self.python.limits.memory_bytes,
            workspace_cap=self.python.snapshot_workspace_bytes + (1 << 20),
        )
        with self.lock:
            if replace:  # only /workspace is persisted; /tmp is scratch
                for entry in self.fs.listdir("/workspace"):
                    self.fs.remove(entry.path, recursive=True)
            self.workspace.unpack(data.workspace, self.python.snapshot_workspace_bytes)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            if self._interp is not None:
                self._interp.close()
            self.workspace.remove()
