"""Calling conventions between the host and a guest: how tool arguments become wasm values and back.

- ``core``: exported functions over numbers (schema from the function type; value conversion lives in
  ``langchain_wasm.runtime.values``).
- ``buffer``: an exported allocator; bytes, strings, arrays and matrices copied through linear memory.
- ``json_stdio``: a WASI command reading JSON arguments on stdin and writing a JSON result on stdout.
- ``component``: a WebAssembly Component; schemas from WIT types (``wit_types``) and doc comments
  (``wit_docs``), results lifted under the deadline (``component_lift``).

Imports only the runtime below it, never LangChain.
"""

from langchain_wasm.abi.component import WasmComponent

__all__ = ["WasmComponent"]
