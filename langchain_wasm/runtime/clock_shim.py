"""Our ``clock_time_get``: the host's clocks, the same ones our ``poll_oneoff`` compares deadlines with.

wasmtime's WASI monotonic clock counts from the moment a store's WASI context was built, not from the host's
``CLOCK_MONOTONIC``. Our ``poll_oneoff`` (``wasi_shims.py``) sleeps in Python and converts absolute-time clock
subscriptions with the host's clock, so with wasmtime's clock an absolute sleep (how wasi-libc's
``clock_nanosleep`` and CPython's ``time.sleep`` sleep) was compared against the wrong origin and returned at
once. Shadowing ``clock_time_get`` with the host's clocks makes both agree.
"""

from __future__ import annotations

import time

from .hostcall import GuestMemory, GuestMemoryError

__all__ = ["clock_time_get", "CLOCK_PARAMS"]

ESUCCESS, EFAULT, EINVAL = 0, 21, 28
_CLOCK_REALTIME = 0
#: ``clock_time_get(id: i32, precision: i64, out: i32) -> errno``
CLOCK_PARAMS = ("i32", "i64", "i32")


def clock_time_get(mem: GuestMemory, clock_id: int, _precision: int, out_ptr: int) -> int:
    """Realtime from the host's wall clock; the monotonic and CPU-time clocks from its monotonic clock."""
    if clock_id == _CLOCK_REALTIME:
        now = time.time_ns()
    elif 0 < clock_id <= 3:
        now = time.monotonic_ns()
    else:
        return EINVAL
    try:
        mem.write_u64(out_ptr, now)
    except GuestMemoryError:
        return EFAULT
    return ESUCCESS
