"""``WasmToolkit``: a directory of guests (or third-party packs) as a list of tools."""

from __future__ import annotations

from collections.abc import Iterable
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from langchain_core.tools import BaseTool, BaseToolkit
from pydantic import ConfigDict

from langchain_wasm.errors import ManifestError
from langchain_wasm.guest.paths import default_guest_dir
from langchain_wasm.tools.wasm_tool import WasmTool

__all__ = ["ENTRY_POINT_GROUP", "WasmToolkit", "default_guest_dir"]

#: Third-party packs register guest directories under this entry-point group. Each entry point loads to a
#: directory path (str or Path) or a callable returning one or several.
ENTRY_POINT_GROUP = "langchain_wasm.guests"


class WasmToolkit(BaseToolkit):
    """Every guest with a ``manifest.toml`` under one or more directories, as tools.

    Setup:
        ``pip install langchain-wasm``

    Instantiation:
        .. code-block:: python

            from langchain_wasm import WasmToolkit
            toolkit = WasmToolkit.from_directory()                   # the example guests (shipped in the wheel)
            toolkit = WasmToolkit.from_directory("my_guests/")       # or your own folder
            toolkit = WasmToolkit.from_entry_points()                # packs installed as plugins

    Invocation:
        .. code-block:: python

            tools = toolkit.get_tools()

    A broken manifest or two guests with the same name is a ``ManifestError`` naming both paths.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    tools: list[WasmTool]

    def get_tools(self) -> list[BaseTool]:
        return list(self.tools)

    @classmethod
    def from_directory(cls, *paths: str | Path, exclude: Iterable[str] = ("hostile",), **overrides: Any) -> WasmToolkit:
        """Load every ``*/manifest.toml`` under ``paths`` (default: the example guests the package ships, see
        ``default_guest_dir``), skipping subtrees named in ``exclude`` (the repo's deliberately hostile guests)."""
        roots = [Path(p) for p in paths] or [default_guest_dir()]
        manifests: list[Path] = []
        for root in roots:
            if not root.is_dir():
                raise ManifestError(f"guest directory {root} does not exist")
            skip = set(exclude)
            manifests += sorted(
                m for m in root.rglob("manifest.toml") if not skip.intersection(m.relative_to(root).parts[:-1])
            )
        return cls.from_manifests(manifests, **overrides)

    @classmethod
    def from_manifests(cls, manifests: Iterable[str | Path], **overrides: Any) -> WasmToolkit:
        tools: list[WasmTool] = []
        seen: dict[str, Path] = {}
        for manifest in manifests:
            tool = WasmTool.from_manifest(manifest, **overrides)
            if tool.name in seen:
                raise ManifestError(f"two guests are named {tool.name!r}: {seen[tool.name]} and {manifest}")
            seen[tool.name] = Path(manifest)
            tools.append(tool)
        return cls(tools=tools)

    @classmethod
    def from_entry_points(cls, group: str = ENTRY_POINT_GROUP, **overrides: Any) -> WasmToolkit:
        """Load the guest directories that installed packages register under ``group`` (explicit: nothing is
        loaded unless this is called)."""
        dirs: list[Path] = []
        for ep in entry_points(group=group):
            target = ep.load()
            found = target() if callable(target) else target
            items = [found] if isinstance(found, str | Path) else list(found)
            dirs += [Path(p) for p in items]
        if not dirs:
            return cls(tools=[])
        return cls.from_directory(*dirs, exclude=(), **overrides)
