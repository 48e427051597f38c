"""``[capabilities.http]`` in a manifest: the network grant a guest declares, secrets read from the host's env.

Header values may name host environment variables as ``${NAME}`` (an API key stays out of the manifest and out
of the guest); a variable that is not set makes the manifest fail to load, naming it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from langchain_wasm.errors import ManifestError
from langchain_wasm.runtime.http_grant import METHODS, HttpGrant, HttpOrigin

__all__ = ["grant_from_manifest"]

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_GRANT_FIELDS = ("max_requests", "max_request_bytes", "max_response_bytes", "timeout_s", "max_redirects")


def _expand(value: str, env: Mapping[str, str], where: str) -> str:
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in env:
            raise ManifestError(f"{where} needs the environment variable {name}, which is not set")
        return env[name]

    return _VAR.sub(one, value)


def grant_from_manifest(spec: Mapping[str, Any], env: Mapping[str, str] | None = None) -> HttpGrant:
    """The ``HttpGrant`` of a manifest's ``[capabilities.http]`` table (already checked by the schema)."""
    env = os.environ if env is None else env
    origins = []
    for item in spec["origins"]:
        if isinstance(item, str):
            origins.append(HttpOrigin(item))
            continue
        url = item["url"]
        headers = {
            name: _expand(value, env, f"header {name!r} of origin {url!r}")
            for name, value in item.get("headers", {}).items()
        }
        origins.append(
            HttpOrigin(
                url,
                methods=tuple(item.get("methods", sorted(METHODS))),
                headers=headers,
                allow_private=bool(item.get("allow_private", False)),
            )
        )
    return HttpGrant(tuple(origins), **{k: spec[k] for k in _GRANT_FIELDS if k in spec})
