"""Guests: a module plus its manifest (``manifest.toml``), callable by whatever calling convention it uses.

``Guest.load(path)`` reads and checks a manifest against its module; ``Guest.call(arguments)`` runs it.
This layer imports nothing from LangChain; ``langchain_wasm.tools`` wraps it as LangChain tools.
"""

from langchain_wasm.guest.guest import Guest, load_manifest_schema

__all__ = ["Guest", "load_manifest_schema"]
