/* The measuring end of bin/bench mount, run inside and outside Strata alike:
 *   probe read FILE        sequential read with a 1 MiB buffer; prints MiB/s
 *   probe stat FILE SECS   stat(2) in a loop for SECS seconds; prints calls per second */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "read") == 0) {
        static char buf[1 << 20];
        int fd = open(argv[2], O_RDONLY);
        if (fd < 0) { perror(argv[2]); return 1; }
        double start = now();
        long long total = 0;
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0) total += n;
        double secs = now() - start;
        close(fd);
        printf("%.1f\n", total / secs / (1 << 20));
        return n < 0;
    }
    if (argc >= 4 && strcmp(argv[1], "stat") == 0) {
        struct stat st;
        double secs = atof(argv[3]), start = now(), end = start + secs;
        long calls = 0;
        while (now() < end) {
            for (int i = 0; i < 256; i++) {
                if (stat(argv[2], &st) != 0) { perror(argv[2]); return 1; }
            }
            calls += 256;
        }
        printf("%.0f\n", calls / (now() - start));
        return 0;
    }
    fprintf(stderr, "usage: probe read FILE | probe stat FILE SECONDS\n");
    return 2;
}
