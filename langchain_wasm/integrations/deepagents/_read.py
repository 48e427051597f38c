"""Paginated text reads with the same contract as Deep Agents' sandbox reads (``BaseSandbox.read``)."""

from __future__ import annotations

from deepagents.backends.protocol import ReadResult

__all__ = ["read_window"]

MAX_OUTPUT_BYTES = 500 * 1024
TRUNCATION_MSG = (
    "\n\n[Output was truncated due to size limits. This paginated read result exceeded the sandbox stdout limit. "
    "Continue reading with a larger offset or smaller limit to inspect the rest of the file.]"
)


def read_window(raw: bytes, file_path: str, offset: int, limit: int) -> ReadResult:
    """Lines ``offset .. offset + limit`` of UTF-8 ``raw`` (0-indexed), capped at ~500 KiB, with pagination."""
    if limit <= 0:
        return ReadResult(file_data={"encoding": "utf-8", "content": ""}, no_lines_requested=True)
    text = raw.decode("utf-8", "surrogateescape")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    total = len(lines)
    if offset >= total:
        return ReadResult(error=f"File '{file_path}': Line offset {offset} exceeds file length ({total} lines)")
    parts: list[str] = []
    used, budget, returned, truncated = 0, MAX_OUTPUT_BYTES - len(TRUNCATION_MSG.encode()), 0, False
    for line in lines[offset : offset + limit]:
        piece = line if returned == 0 else "\n" + line
        size = len(piece.encode("utf-8", "surrogateescape"))
        if used + size > budget:
            truncated = True
            room = budget - used
            if room > 0:
                parts.append(piece.encode("utf-8", "surrogateescape")[:room].decode("utf-8", "ignore"))
            break
        parts.append(piece)
        used += size
        returned += 1
    content = "".join(parts).encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    if truncated:
        content += TRUNCATION_MSG
        returned = max(returned, 1)
    end = offset + returned
    return ReadResult(
        file_data={"encoding": "utf-8", "content": content},
        total_lines=total,
        start_line=offset + 1,
        end_line=end,
        next_offset=end if end < total else None,
    )
