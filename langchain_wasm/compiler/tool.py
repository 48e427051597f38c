"""LangChain tools over the in-Wasm compiler: ``run_c`` (compile and run a program) and, for agents that plan
several steps, ``compile_function`` + ``call_function`` (compile a function once, call it in later steps).

Compile errors come back as a ``ToolException`` whose text is clang's diagnostics (``main.c:LINE:COL:
error: ...``), so the model can fix its code and call again.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Literal

from langchain_core.callbacks import CallbackManagerForToolRun
from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from langchain_wasm.errors import WasmCallError
from langchain_wasm.runtime.limits import Limits
from langchain_wasm.tools.errors import WasmToolArgumentError, WasmToolError, to_tool_error
from langchain_wasm.tools.wasm_tool import WasmTool

from .compiler import PROGRAM_LIMITS, CompiledProgram, WasmCompiler
from .driver import WasmCompileError
from .flags import CompilerFlagError

__all__ = [
    "CallFunctionTool",
    "CompileFunctionTool",
    "CompiledFunctions",
    "WasmCompilerTool",
    "WasmToolCompileError",
    "compiler_tools",
]

CONTENT_LIMIT = 6000


class WasmToolCompileError(WasmToolError):
    """The source did not compile; the message is clang's diagnostics, for the model to fix."""


def _compile_error(exc: WasmCompileError | CompilerFlagError) -> WasmToolError:
    if isinstance(exc, CompilerFlagError):
        return WasmToolArgumentError(f"{exc}. Remove the flag and call again.")
    if exc.reason == "limit":
        return WasmToolCompileError(f"The compiler was stopped: {exc}")
    return WasmToolCompileError(f"The code did not compile. Fix these errors and call again:\n{exc}")


class RunCInput(BaseModel):
    """Compile a C or C++ program in a sandbox and run it."""

    source: str = Field(description="Complete C or C++ source of a program with main(); it may read stdin.")
    language: Literal["c", "c++"] = Field(default="c", description="'c' or 'c++' (C++ has no exceptions).")
    stdin: str = Field(default="", description="Text the program reads on stdin.")
    input: dict[str, Any] | None = Field(
        default=None, description="A JSON object to send on stdin instead of `stdin` (the program parses it)."
    )
    args: list[str] = Field(default_factory=list, description="Command-line arguments (argv[1:]).")
    flags: list[str] = Field(
        default_factory=lambda: ["-O2"], description="Compiler flags: -O0..-O3, -std=..., -DNAME=VALUE, -msimd128."
    )


class WasmCompilerTool(BaseTool):
    """Compile C/C++ with clang running in WebAssembly and run the program in a fresh sandbox.

    Invocation:
        .. code-block:: python

            tool = WasmCompilerTool()
            tool.invoke({"source": '#include <stdio.h>\\nint main(){puts("hi");}'})
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "run_c"
    description: str = (
        "Compile a C or C++ program (clang 22, wasm32-wasi, C17/C++17 by default) in a secure sandbox and run "
        "it; returns its exit status, stdout and stderr. The standard C library and libc++ are available "
        "(C++ without exceptions or threads); there are no files, network, clocks or environment variables. "
        "Compile errors come back as compiler diagnostics (main.c:LINE:COL) to fix."
    )
    args_schema: type[BaseModel] = RunCInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool = True
    compiler: WasmCompiler = Field(default_factory=WasmCompiler)
    limits: Limits = PROGRAM_LIMITS

    def _run(
        self,
        source: str,
        language: Literal["c", "c++"] = "c",
        stdin: str = "",
        input: dict[str, Any] | None = None,
        args: list[str] | None = None,
        flags: list[str] | None = None,
        *,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, dict[str, Any]]:
        try:
            program = self.compiler.compile(source, language=language, flags=tuple(flags or ("-O2",)))
        except (WasmCompileError, CompilerFlagError) as exc:
            raise _compile_error(exc) from exc
        data = json.dumps(input) if input is not None else stdin
        try:
            result = program.run(stdin=data, argv=list(args or ()), limits=self.limits)
        except WasmCallError as exc:
            raise to_tool_error(self.name, exc) from exc
        out, err = result.stdout_text(), result.stderr_text()
        text = f"exit status {result.exit_code}\nstdout:\n{out}" + (f"\nstderr:\n{err}" if err else "")
        if program.warnings:
            text += "\ncompiler warnings:\n" + "\n".join(str(w) for w in program.warnings[:5])
        artifact = {
            "result": {"exit_code": result.exit_code, "stdout": out, "stderr": err},
            "exit_code": result.exit_code,
            "stdout": out,
            "stderr": err,
            "cached": program.cached,
            "key": program.key,
            "metrics": result.metrics.as_dict(),
        }
        return text[:CONTENT_LIMIT], artifact


class CompiledFunctions:
    """Functions compiled by ``compile_function``, by name, for ``call_function`` (and as ``WasmTool``\\ s)."""

    def __init__(self, compiler: WasmCompiler | None = None) -> None:
        self.compiler = compiler or WasmCompiler()
        self._tools: dict[str, WasmTool] = {}
        self._lock = threading.Lock()

    def add(self, name: str, source: str, params: list[str], description: str = "") -> tuple[WasmTool, CompiledProgram]:
        """Compile ``source`` exporting ``name`` (numbers in, a number out) and keep it as a tool."""
        program = self.compiler.compile(source, mode="function", exports=(name,), flags=("-O2",))
        guest = program.guest(name, name=name, description=description or f"C function {name}", param_names=params)
        tool = WasmTool(guest=guest, limits=guest.limits, capabilities=guest.capabilities)
        with self._lock:
            self._tools[name] = tool
        return tool, program

    def get(self, name: str) -> WasmTool | None:
        with self._lock:
            return self._tools.get(name)

    def tools(self) -> list[WasmTool]:
        """Every compiled function as a ``WasmTool`` (for a toolkit built after they were compiled)."""
        with self._lock:
            return list(self._tools.values())


class CompileFunctionInput(BaseModel):
    """Compile a C function once; call it later with call_function."""

    name: str = Field(description="The C function's name (an identifier), e.g. 'hypot3'.")
    source: str = Field(
        description="C source defining the function; parameters and result are int, long long, float or double."
    )
    params: list[str] = Field(description="The parameter names, in order, as call_function will pass them.")
    description: str = Field(default="", description="What the function computes.")


class CompileFunctionTool(BaseTool):
    """``compile_function``: compile a numeric C function once, for ``call_function`` in later steps."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "compile_function"
    description: str = (
        "Compile a C function (numbers in, one number out) in a secure sandbox so that later steps can call it "
        "with call_function. Returns its signature, or compiler diagnostics (main.c:LINE:COL) to fix."
    )
    args_schema: type[BaseModel] = CompileFunctionInput
    handle_tool_error: bool = True
    registry: CompiledFunctions = Field(default_factory=CompiledFunctions)

    def _run(
        self,
        name: str,
        source: str,
        params: list[str],
        description: str = "",
        *,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> str:
        try:
            _tool, program = self.registry.add(name, source, list(params), description)
        except (WasmCompileError, CompilerFlagError) as exc:
            raise _compile_error(exc) from exc
        except (ValueError, WasmCallError) as exc:
            raise WasmToolArgumentError(f"compile_function: {exc}") from exc
        sig = program.module().signature(name)
        return f"compiled {name}({', '.join(params)}) -> {sig}; call it with call_function(name={name!r}, args={{...}})"


class CallFunctionInput(BaseModel):
    """Call a function compiled earlier with compile_function."""

    name: str = Field(description="The function's name, as given to compile_function.")
    args: dict[str, float] = Field(description="Its arguments by parameter name, e.g. {'a': 3, 'b': 4}.")


class CallFunctionTool(BaseTool):
    """``call_function``: call a function compiled earlier by ``compile_function``, in a fresh sandbox."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    name: str = "call_function"
    description: str = (
        "Call a C function compiled earlier with compile_function, by name, with numeric arguments by parameter "
        "name; returns its result."
    )
    args_schema: type[BaseModel] = CallFunctionInput
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"
    handle_tool_error: bool = True
    registry: CompiledFunctions = Field(default_factory=CompiledFunctions)

    def _run(
        self, name: str, args: dict[str, float], *, run_manager: CallbackManagerForToolRun | None = None
    ) -> tuple[str, dict[str, Any]]:
        tool = self.registry.get(name)
        if tool is None:
            raise WasmToolArgumentError(f"no function {name!r} was compiled; call compile_function first")
        params = tool.guest.input_schema.get("properties", {})
        values = {k: (int(v) if params.get(k, {}).get("type") == "integer" else v) for k, v in args.items()}
        try:
            result = tool.guest.call(values)
        except WasmCallError as exc:
            raise to_tool_error(name, exc) from exc
        return json.dumps(result.value), {"result": result.value, "metrics": result.metrics.as_dict()}


def compiler_tools(compiler: WasmCompiler | None = None) -> list[BaseTool]:
    """``run_c``, ``compile_function`` and ``call_function`` sharing one compiler and one function registry."""
    compiler = compiler or WasmCompiler()
    registry = CompiledFunctions(compiler)
    return [
        WasmCompilerTool(compiler=compiler),
        CompileFunctionTool(registry=registry),
        CallFunctionTool(registry=registry),
    ]
