/* Attacks: the wall-clock deadline. A json-stdio command that sleeps 1000 s in WASI poll_oneoff (through
 * nanosleep) before printing {}. wasmtime's own poll_oneoff blocks in the host and ignores epoch interruption,
 * so the host must replace it and cut the sleep off at the deadline (WasmTimeoutError). It needs the `clocks`
 * grant; without it the host refuses to load it (WasmCapabilityError naming poll_oneoff). */
#include <stdio.h>
#include <time.h>

int main(void) {
    struct timespec nap = {.tv_sec = 1000, .tv_nsec = 0};
    nanosleep(&nap, NULL);
    puts("{}");
    return 0;
}
