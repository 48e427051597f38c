"""Issue 14: what a newcomer touches (the installed wheel, the CLI, the Python sandbox, docs)."""
