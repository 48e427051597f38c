"""The network frames of the Python sandbox's door: ``_host.call(b"LCWHTTP" + request frame)``.

The guest's network shim (``guest_net.py``) sends request frames through the interpreter's one host import;
the host answers with a response frame (``runtime/http_host.py``) placed in guest memory allocated by the
guest's own ``host_alloc`` (the door's convention), so ``_host.call`` returns it as ``bytes``. Without a
network grant every frame is answered with "no network access to <origin> in this sandbox".
"""

from __future__ import annotations

import wasmtime

from langchain_wasm.runtime import context
from langchain_wasm.runtime.hostcall import GuestMemory, HostStop
from langchain_wasm.runtime.http_host import current_state, encode_error, frame_limit, handle_frame, stop_if_late
from langchain_wasm.runtime.live import LiveInstance

__all__ = ["HTTP_PREFIX", "HTTP_PREFIX_LEN", "http_reply"]

HTTP_PREFIX = b"LCWHTTP"
HTTP_PREFIX_LEN = len(HTTP_PREFIX)
_MASK = 0xFFFFFFFF
_FAULT = -2


def http_reply(
    mem: GuestMemory, live: LiveInstance | None, ptr: int, length: int, out_ptr_ptr: int, out_len_ptr: int
) -> int:
    """Answer the request frame at ``[ptr, ptr + length)`` (prefix included) through the door's out-pointers."""
    if live is None:
        return _FAULT
    mem.check(out_ptr_ptr, 4)
    mem.check(out_len_ptr, 4)
    state = current_state()
    if length - HTTP_PREFIX_LEN > frame_limit(state):
        reply = encode_error("invalid", f"request frame over {frame_limit(state)} bytes")
        if state is not None:
            state.refused += 1
    else:
        reply = handle_frame(state, mem.read(ptr + HTTP_PREFIX_LEN, length - HTTP_PREFIX_LEN))
    stop_if_late(state)
    try:
        where = int(live.call("host_alloc", len(reply))) & _MASK
    except wasmtime.Trap as exc:  # out of time or fuel inside the guest's allocator: stop as the guest would
        ctx = context.current()
        if ctx is not None:
            if exc.trap_code == wasmtime.TrapCode.INTERRUPT:
                ctx.stop_reason = "timeout"
            elif exc.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
                ctx.stop_reason = "fuel"
        raise HostStop from exc
    if not where:
        return _FAULT
    view = live.memory()  # the allocation may have grown memory
    view.write(where, reply)
    view.write_u32(out_ptr_ptr, where)
    view.write_u32(out_len_ptr, len(reply))
    return 0
