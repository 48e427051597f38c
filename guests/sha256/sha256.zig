//! sha256: SHA-256 of a byte string over linear memory (buffer ABI, docs/guests.md). Import-free: freestanding
//! wasm32, std.crypto's Sha256, std.heap.wasm_allocator for alloc/dealloc.
//!
//! sha256(ptr, len) -> i64 (ptr << 32 | 32) of a 32-byte buffer holding the raw digest (the host shows it as
//! hex). The input stays owned by the host. On refusal ptr = 0 and len is an error code:
//!   1 = out of memory for the 32-byte result.
const std = @import("std");
const Sha256 = std.crypto.hash.sha2.Sha256;
const gpa = std.heap.wasm_allocator;

const err_no_memory: u64 = 1;

/// alloc(0) must return a usable non-zero pointer; Zig's zero-length slices point at maxInt(usize), which
/// the host would rightly reject as out of bounds. Zero-length blocks all share this byte.
var empty_block: u8 = 0;

export fn alloc(len: u32) u32 {
    if (len == 0) return @intFromPtr(&empty_block);
    const buf = gpa.alloc(u8, len) catch return 0;
    return @intFromPtr(buf.ptr);
}

/// Frees a block from alloc (or the result of sha256); len must be the length it was allocated with, as the
/// buffer ABI guarantees. wasm_allocator reuses freed blocks by size class.
export fn dealloc(ptr: u32, len: u32) void {
    if (ptr == 0 or len == 0) return;
    const p: [*]u8 = @ptrFromInt(ptr);
    gpa.free(p[0..len]);
}

export fn sha256(ptr: u32, len: u32) u64 {
    const input: []const u8 = if (len == 0) &.{} else @as([*]const u8, @ptrFromInt(ptr))[0..len];
    const out = gpa.alloc(u8, Sha256.digest_length) catch return err_no_memory;
    Sha256.hash(input, out[0..Sha256.digest_length], .{});
    return (@as(u64, @intFromPtr(out.ptr)) << 32) | Sha256.digest_length;
}
