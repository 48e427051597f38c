/* Attacks: the host's disk through a writable preopen. A WASI command run with a directory preopened at /w:
 * it writes 64 KiB chunks to /w/big until a write fails, then creates empty files /w/f0, /w/f1, ... until a
 * create fails, then tries mkdir, symlink and a hard link, and prints one JSON object: what it managed and each
 * errno (the host's quota must answer EDQUOT). With argv[1] == "loop" it then writes to /w/big forever, ignoring
 * every error (the host must stop it at its fuel budget or deadline). It reads no input. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char chunk[65536];

static const char *name(int err) { return err == EDQUOT ? "EDQUOT" : strerror(err); }

int main(int argc, char **argv) {
    long long written = 0;
    int write_errno = 0, files = 0, create_errno = 0;
    memset(chunk, 'x', sizeof chunk);
    int fd = open("/w/big", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        printf("{\"error\": \"open /w/big: %s\"}\n", strerror(errno));
        return 1;
    }
    for (;;) {
        ssize_t n = write(fd, chunk, sizeof chunk);
        if (n < 0) { write_errno = errno; break; }
        written += n;
    }
    char path[32];
    for (;;) {
        snprintf(path, sizeof path, "/w/f%d", files);
        int f = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (f < 0) { create_errno = errno; break; }
        close(f);
        files++;
    }
    int mkdir_errno = mkdir("/w/dir", 0755) == 0 ? 0 : errno;
    int symlink_errno = symlink("big", "/w/link") == 0 ? 0 : errno;
    int link_errno = link("/w/big", "/w/hard") == 0 ? 0 : errno;
    printf("{\"written\": %lld, \"write\": \"%s\", \"files\": %d, \"create\": \"%s\", \"mkdir\": \"%s\", "
           "\"symlink\": \"%s\", \"link\": \"%s\", \"edquot\": %d}\n",
           written, name(write_errno), files, name(create_errno), mkdir_errno ? name(mkdir_errno) : "ok",
           symlink_errno ? name(symlink_errno) : "ok", link_errno ? name(link_errno) : "ok", EDQUOT);
    fflush(stdout);
    if (argc > 1 && strcmp(argv[1], "loop") == 0)
        for (;;) (void)!write(fd, chunk, sizeof chunk);
    close(fd);
    return 0;
}
