"""A guest with a deep wasm stack runs on the calling thread only when that thread has the native stack for it.

``native_stack.stack_room`` measures what the calling thread has left; ``GuestThreads.fits_here`` compares it
with ``max_wasm_stack`` plus the host margin, and a call that does not fit goes to a pool thread made with the
stack it needs. These tests make threads with known stack sizes and check both the measure and the choice; the
Python sandbox's recursion tests then break the guest's stack from threads that can and cannot hold it.
"""

from __future__ import annotations

import resource
import threading

import pytest

from langchain_wasm.runtime.guest_thread import GuestThreads
from langchain_wasm.runtime.native_stack import stack_room
from tests.stack_threads import in_thread

MIB = 1024 * 1024
ROOM = stack_room()
pytestmark = pytest.mark.skipif(ROOM is None, reason="the stack room cannot be measured on this platform")


def test_the_room_of_threads_made_with_a_known_stack():
    small = in_thread(2 * MIB, stack_room)
    big = in_thread(64 * MIB, stack_room)
    # glibc may hand a new thread a larger cached stack than asked for, never a smaller one
    assert small > 0
    assert big > 60 * MIB


def test_the_main_thread_has_at_most_its_rlimit():
    soft, _ = resource.getrlimit(resource.RLIMIT_STACK)
    room = stack_room()
    assert room is not None
    assert room > 0
    if soft != resource.RLIM_INFINITY:
        assert room <= soft


def test_a_call_runs_where_it_fits_and_hops_where_it_does_not():
    here = threading.get_ident
    roomy = GuestThreads(16 * MIB, max_workers=2, inline_bytes=8 * MIB)
    never = GuestThreads(16 * MIB, max_workers=2, inline_bytes=1 << 40)  # no thread has a TiB of stack

    assert in_thread(64 * MIB, lambda: roomy.run(here) == here()) is True  # room: it ran on the caller's thread
    assert in_thread(64 * MIB, lambda: never.run(here) == here()) is False  # no room: a pool thread ran it
    assert never.fits_here() is False

    def decided() -> tuple[bool, bool]:
        room = stack_room()
        assert room is not None
        return roomy.run(here) == here(), room >= roomy.inline_bytes

    ran_here, had_room = in_thread(2 * MIB, decided)
    assert ran_here == had_room  # a small thread hops unless glibc gave it a large cached stack
    # a pool thread has 16 MiB: a call nested inside a job still fits there
    assert roomy.submit(roomy.fits_here).result() is True


def test_without_an_inline_size_every_call_hops():
    pool = GuestThreads(16 * MIB, max_workers=1)
    assert pool.fits_here() is False
    assert pool.run(threading.get_ident) != threading.get_ident()
