/* The measuring end of bin/bench mount and write, run inside and outside Strata alike:
 *   probe read FILE        sequential read with a 1 MiB buffer; prints MiB/s
 *   probe stat FILE SECS   stat(2) in a loop for SECS seconds; prints calls per second
 *   probe write FILE MIB   writes a new file of MIB MiB with a 1 MiB buffer, then closes it; prints MiB/s
 *   probe poke FILE        opens an existing file for writing, writes one byte, closes; prints microseconds
 *   probe files DIR N      creates, stats and unlinks N files in DIR; prints operations per second
 *   probe meta DIR N       the same, each phase timed: prints creates, stats and unlinks per second
 *   probe time CMD ARG...  runs CMD with its output to /dev/null; prints its wall time in seconds */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
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
    if (argc >= 4 && strcmp(argv[1], "write") == 0) {
        static char buf[1 << 20];
        memset(buf, 'w', sizeof buf);
        long mib = atol(argv[3]);
        double start = now();
        int fd = open(argv[2], O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0) { perror(argv[2]); return 1; }
        for (long i = 0; i < mib; i++) {
            if (write(fd, buf, sizeof buf) != sizeof buf) { perror("write"); return 1; }
        }
        if (close(fd) != 0) { perror("close"); return 1; }
        printf("%.1f\n", mib / (now() - start));
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "poke") == 0) {
        double start = now();
        int fd = open(argv[2], O_WRONLY);
        if (fd < 0) { perror(argv[2]); return 1; }
        if (pwrite(fd, "!", 1, 0) != 1) { perror("pwrite"); return 1; }
        close(fd);
        printf("%.0f\n", (now() - start) * 1e6);
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "files") == 0) {
        long n = atol(argv[3]);
        char path[4096];
        struct stat st;
        double start = now();
        for (long i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/f%ld", argv[2], i);
            int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
            if (fd < 0) { perror(path); return 1; }
            close(fd);
        }
        for (long i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/f%ld", argv[2], i);
            if (stat(path, &st) != 0) { perror(path); return 1; }
        }
        for (long i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/f%ld", argv[2], i);
            if (unlink(path) != 0) { perror(path); return 1; }
        }
        printf("%.0f\n", 3 * n / (now() - start));
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "meta") == 0) {
        long n = atol(argv[3]);
        char path[4096];
        struct stat st;
        double phase[4];
        phase[0] = now();
        for (long i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/f%ld", argv[2], i);
            int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
            if (fd < 0) { perror(path); return 1; }
            close(fd);
        }
        phase[1] = now();
        for (long i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/f%ld", argv[2], i);
            if (stat(path, &st) != 0) { perror(path); return 1; }
        }
        phase[2] = now();
        for (long i = 0; i < n; i++) {
            snprintf(path, sizeof path, "%s/f%ld", argv[2], i);
            if (unlink(path) != 0) { perror(path); return 1; }
        }
        phase[3] = now();
        printf("%.0f %.0f %.0f\n", n / (phase[1] - phase[0]), n / (phase[2] - phase[1]), n / (phase[3] - phase[2]));
        return 0;
    }
    if (argc >= 3 && strcmp(argv[1], "time") == 0) {
        double start = now();
        pid_t child = fork();
        if (child == 0) {
            int null = open("/dev/null", O_WRONLY);
            dup2(null, 1);
            execvp(argv[2], argv + 2);
            perror(argv[2]);
            _exit(127);
        }
        int status;
        if (child < 0 || waitpid(child, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            fprintf(stderr, "%s failed\n", argv[2]);
            return 1;
        }
        printf("%.3f\n", now() - start);
        return 0;
    }
    fprintf(stderr, "usage: probe read FILE | stat FILE SECONDS | write FILE MIB | poke FILE | files DIR N | meta DIR N | time CMD ARG...\n");
    return 2;
}
