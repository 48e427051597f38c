/* Attacks: host memory. `run` grows linear memory 1 MiB at a time, touching every page so the memory is
 * really committed, until memory.grow fails, then aborts (as C does when malloc returns NULL and the program
 * gives up). The host must cap linear memory per store (memory.grow returns -1 at the cap) and report the
 * abort that follows as WasmMemoryLimitError. Freestanding, no imports. */
#define PAGE 65536u
#define STEP_PAGES 16u

__attribute__((export_name("run"))) int run(void) {
    for (;;) {
        unsigned long old = __builtin_wasm_memory_grow(0, STEP_PAGES);
        if (old == (unsigned long)-1) __builtin_trap(); /* out of memory: abort */
        volatile unsigned char *block = (volatile unsigned char *)(old * PAGE);
        for (unsigned off = 0; off < STEP_PAGES * PAGE; off += 4096) block[off] = 0xAB;
    }
}
