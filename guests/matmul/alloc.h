/* A small free-list allocator for import-free wasm32 guests (no libc), implementing the buffer ABI's
 * alloc/dealloc (docs/guests.md).
 *
 * The heap runs from __heap_base to `top`; memory.grow extends the linear memory when a block does not fit.
 * Each block has an 8-byte header {size incl. header, tag = MAGIC ^ size}; payloads are 8-byte aligned.
 * Freed blocks go on an address-ordered list, coalesce with free neighbours, and a block that ends at `top`
 * lowers `top` instead, so freeing everything resets the heap to empty. Linear memory never shrinks (wasm
 * cannot), but it is reused. alloc is first-fit and splits a larger free block. dealloc ignores pointers it
 * did not hand out and double frees (the header tag no longer matches), so a confused caller cannot corrupt
 * the list. alloc(0) returns a valid, unique block; 0 means out of memory. */
#ifndef GUEST_ALLOC_H
#define GUEST_ALLOC_H

#define WASM_PAGE 65536u
#define HDR 8u
#define MIN_BLOCK 16u
#define MAX_ALLOC 0x7FFF0000u
#define TAG_USED 0xA110C8EDu
#define TAG_FREE 0xF4EEB10Cu

typedef struct block {
    unsigned size;       /* whole block, header included, multiple of 8 */
    unsigned tag;        /* TAG_USED ^ size or TAG_FREE ^ size */
    struct block *next;  /* free blocks only: next free block at a higher address */
} block;

extern unsigned char __heap_base;
static unsigned heap_start, heap_top;
static block *free_list;

static void heap_init(void) {
    if (!heap_start) heap_start = heap_top = ((unsigned)&__heap_base + 7u) & ~7u;
}

static unsigned memory_bytes(void) { return (unsigned)__builtin_wasm_memory_size(0) * WASM_PAGE; }

__attribute__((export_name("alloc"))) void *alloc(unsigned len) {
    heap_init();
    if (len > MAX_ALLOC) return 0;
    unsigned need = (len + HDR + 7u) & ~7u;
    if (need < MIN_BLOCK) need = MIN_BLOCK;
    block **link = &free_list;
    for (block *b = free_list; b; link = &b->next, b = b->next) {
        if (b->size < need) continue;
        if (b->size - need >= MIN_BLOCK) { /* split: the tail stays on the list in b's place */
            block *tail = (block *)((unsigned char *)b + need);
            tail->size = b->size - need;
            tail->tag = TAG_FREE ^ tail->size;
            tail->next = b->next;
            *link = tail;
            b->size = need;
        } else {
            *link = b->next;
        }
        b->tag = TAG_USED ^ b->size;
        return (unsigned char *)b + HDR;
    }
    unsigned long long end = (unsigned long long)heap_top + need;
    if (end > 0xFFFFFFFFull) return 0;
    unsigned have = memory_bytes();
    if (end > have) {
        unsigned long long pages = (end - have + WASM_PAGE - 1) / WASM_PAGE;
        if (__builtin_wasm_memory_grow(0, (unsigned long)pages) == (unsigned long)-1) return 0;
    }
    block *b = (block *)heap_top;
    b->size = need;
    b->tag = TAG_USED ^ need;
    heap_top = (unsigned)end;
    return (unsigned char *)b + HDR;
}

__attribute__((export_name("dealloc"))) void dealloc(void *ptr, unsigned len) {
    unsigned p = (unsigned)ptr;
    heap_init();
    if (p < heap_start + HDR || p >= heap_top || (p & 7u)) return;
    block *b = (block *)(p - HDR);
    if (b->tag != (TAG_USED ^ b->size) || b->size < MIN_BLOCK || len > b->size - HDR) return;
    unsigned end = (unsigned)b + b->size;
    if (end > heap_top) return;
    block *prev = 0, *next = free_list;
    while (next && next < b) { prev = next; next = next->next; }
    if (end == heap_top) { /* last block: give it back to the bump region, with a free block just below it */
        heap_top = (unsigned)b;
        b->tag = 0;
        if (prev && (unsigned)prev + prev->size == heap_top) {
            heap_top = (unsigned)prev;
            prev->tag = 0;
            block **link = &free_list;
            while (*link != prev) link = &(*link)->next;
            *link = 0;
        }
        return;
    }
    b->tag = TAG_FREE ^ b->size;
    b->next = next;
    if (next && end == (unsigned)next) { /* merge with the following free block */
        b->size += next->size;
        b->tag = TAG_FREE ^ b->size;
        b->next = next->next;
        next->tag = 0;
    }
    if (prev && (unsigned)prev + prev->size == (unsigned)b) { /* merge into the preceding free block */
        prev->size += b->size;
        prev->tag = TAG_FREE ^ prev->size;
        prev->next = b->next;
        b->tag = 0;
    } else if (prev) {
        prev->next = b;
    } else {
        free_list = b;
    }
}

#endif
