"""Adapters to other frameworks, each behind its own optional extra (``pip install 'langchain-wasm[X]'``).

One module or sub-package per framework: the Deep Agents sandbox backend, LangChain agent middleware, the MCP
server, a drop-in for langchain-sandbox users. They sit above the tool, graph and Python layers and import their
framework only when used, so ``import langchain_wasm`` never needs an extra installed.
"""
