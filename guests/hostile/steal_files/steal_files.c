/* Attacks: filesystem isolation. A WASI command that tries to read /etc/passwd and other host files, to climb
 * out with ../ (through libc and through raw path_open on every preopened directory, which skips libc's path
 * handling), to follow a symlink out of a preopen, and to list /, . and .., then prints one JSON object: each
 * attempt with "ok" and the errno text (or the first bytes read), plus "managed", the attempts that succeeded.
 * Without preopens "managed" must be []; with a directory preopened at /sandbox only the two controls inside
 * it ("list /sandbox", "raw_path_open fd 3: .") may succeed. It reads no input and exits 0. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static const char *const read_paths[] = {
    "/etc/passwd", "/etc/shadow", "/proc/self/environ", "../etc/passwd", "../../../../etc/passwd",
    "./../../etc/passwd", "etc/passwd", "/sandbox/../etc/passwd", "/../etc/passwd", "~/.ssh/id_rsa",
    "/sandbox/escape/passwd", /* through a symlink a test may plant in a preopen: escape -> /etc */
};
/* "/sandbox" and raw "." are controls: they succeed when a test preopens a directory at /sandbox, showing the
 * probe works; everything else must fail even then. */
static const char *const list_paths[] = {"/", ".", "..", "/etc", "/sandbox/..", "/sandbox"};
static const char *const raw_paths[] = {"../etc/passwd", "../../../../../../etc/passwd", "/etc/passwd", "..",
                                        "escape/passwd", "."};

static int first = 1, managed_count = 0;
static char managed[4096];

static void json_str(FILE *out, const char *s, size_t n) {
    fputc('"', out);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') fprintf(out, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f) fprintf(out, "\\u%04x", c);
        else fputc(c, out);
    }
    fputc('"', out);
}

/* One attempt: {"op":..,"path":..,"ok":..,"detail":..}; successes are also remembered for "managed". */
static void report(const char *op, const char *path, int ok, const char *detail, size_t detail_len) {
    printf("%s\n  {\"op\": \"%s\", \"path\": ", first ? "" : ",", op);
    first = 0;
    json_str(stdout, path, strlen(path));
    printf(", \"ok\": %s, \"detail\": ", ok ? "true" : "false");
    json_str(stdout, detail, detail_len);
    putchar('}');
    if (ok) {
        size_t used = strlen(managed);
        snprintf(managed + used, sizeof managed - used, "%s%s %s", managed_count++ ? "\n" : "", op, path);
    }
}

static void try_read(const char *path) {
    char buf[160];
    int fd = open(path, O_RDONLY);
    if (fd < 0) { report("read", path, 0, strerror(errno), strlen(strerror(errno))); return; }
    ssize_t n = read(fd, buf, sizeof buf);
    close(fd);
    if (n < 0) { report("read", path, 0, strerror(errno), strlen(strerror(errno))); return; }
    report("read", path, 1, buf, (size_t)n); /* the first bytes, as proof */
}

static void try_list(const char *path) {
    char names[512] = "";
    DIR *dir = opendir(path);
    if (!dir) { report("list", path, 0, strerror(errno), strlen(strerror(errno))); return; }
    for (struct dirent *e; (e = readdir(dir));) {
        size_t used = strlen(names);
        snprintf(names + used, sizeof names - used, "%s ", e->d_name);
    }
    closedir(dir);
    report("list", path, 1, names, strlen(names));
}

/* Raw WASI: for each preopened fd (3, 4, ...), path_open relative to it, with no libc path cleaning. */
static void try_raw(void) {
    for (__wasi_fd_t dirfd = 3; dirfd < 64; dirfd++) {
        __wasi_prestat_t pre;
        if (__wasi_fd_prestat_get(dirfd, &pre) != __WASI_ERRNO_SUCCESS) break;
        for (size_t i = 0; i < sizeof raw_paths / sizeof *raw_paths; i++) {
            char label[96];
            snprintf(label, sizeof label, "fd %u: %s", (unsigned)dirfd, raw_paths[i]);
            __wasi_fd_t fd;
            __wasi_errno_t err = __wasi_path_open(dirfd, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, raw_paths[i], 0,
                                                  __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_READDIR, 0, 0, &fd);
            if (err != __WASI_ERRNO_SUCCESS) {
                report("raw_path_open", label, 0, strerror(err), strlen(strerror(err)));
                continue;
            }
            (void)__wasi_fd_close(fd);
            report("raw_path_open", label, 1, "opened", 6);
        }
    }
}

int main(void) {
    printf("{\"attempts\": [");
    for (size_t i = 0; i < sizeof read_paths / sizeof *read_paths; i++) try_read(read_paths[i]);
    for (size_t i = 0; i < sizeof list_paths / sizeof *list_paths; i++) try_list(list_paths[i]);
    try_raw();
    printf("\n], \"managed\": [");
    /* managed holds newline-separated "op path" entries */
    const char *p = managed;
    for (int i = 0; i < managed_count; i++) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (i) printf(", ");
        json_str(stdout, p, n);
        p += n + (end ? 1 : 0);
    }
    printf("]}\n");
    return 0;
}
