"""``python -m langchain_wasm.cli``: the ``langchain-wasm`` command."""

import sys

from langchain_wasm.cli import main

sys.exit(main())
