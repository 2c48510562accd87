/*
 * strata-sim-worker: one simulated agent's hands for `strata sim`. It runs inside the agent's process
 * tree (started by `strata run` or `strata branch exec`, so it sees that runtime's view), reads one
 * file operation per line on stdin, does it, and answers one line with the time the operation took,
 * measured here around the system calls, so the pipe to the simulator is not counted:
 *
 *   ok NANOS COUNT        COUNT: bytes read or written, entries walked
 *   err NAME NANOS        NAME: the errno's name (ENOENT), or EXIT3 / SIGNAL9 for an exec'd program
 *
 * Operations (paths relative to the root given on the command line): stat P, read P, write P SIZE,
 * append P SIZE, mkdir P (with parents), unlink P, rename A B, walk P (readdir and lstat of every
 * entry below P), exec PROGRAM ARG... (fork, exec, wait), quit.
 *
 * With --cc IN OUT it is instead the "compiler" a simulated build runs from its layer: it reads IN
 * and writes OUT, a small object derived from it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { LINE = 8192, MAX_ARGS = 32, BUFFER = 64 * 1024 };

static char buffer[BUFFER];

static int64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t) t.tv_sec * 1000000000 + t.tv_nsec;
}

static const char *errno_name(int e) {
#ifdef __GLIBC__
    const char *name = strerrorname_np(e);
    if (name != NULL) {
        return name;
    }
#endif
    static char numbered[32];
    snprintf(numbered, sizeof numbered, "E%d", e);
    return numbered;
}

/* The result of one operation: 0 or an errno, and a count. */
struct result {
    int error;
    char failure[32]; /* set instead of error for an exec'd program that failed */
    long long count;
};

static int read_all(const char *path, long long *count) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    ssize_t n;
    while ((n = read(fd, buffer, sizeof buffer)) > 0) {
        *count += n;
    }
    int e = n < 0 ? errno : 0;
    close(fd);
    return e;
}

static int write_some(const char *path, long long size, int flags, long long *count) {
    int fd = open(path, O_WRONLY | O_CLOEXEC | flags, 0644);
    if (fd < 0) {
        return errno;
    }
    int e = 0;
    while (*count < size) {
        size_t chunk = size - *count < BUFFER ? (size_t) (size - *count) : BUFFER;
        ssize_t n = write(fd, buffer, chunk);
        if (n < 0) {
            e = errno;
            break;
        }
        *count += n;
    }
    if (close(fd) != 0 && e == 0) {
        e = errno;
    }
    return e;
}

static int make_dirs(char *path) {
    for (char *p = path + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            int failed = mkdir(path, 0755) != 0 && errno != EEXIST;
            *p = '/';
            if (failed) {
                return errno;
            }
        }
    }
    return mkdir(path, 0755) != 0 && errno != EEXIST ? errno : 0;
}

static int walk(const char *path, long long *count) {
    DIR *dir = opendir(path);
    if (dir == NULL) {
        return errno;
    }
    int e = 0;
    struct dirent *entry;
    char child[PATH_MAX];
    while ((entry = readdir(dir)) != NULL) {
        if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) {
            continue;
        }
        snprintf(child, sizeof child, "%s/%s", path, entry->d_name);
        struct stat st;
        if (lstat(child, &st) != 0) {
            e = errno;
            break;
        }
        (*count)++;
        if (S_ISDIR(st.st_mode) && (e = walk(child, count)) != 0) {
            break;
        }
    }
    closedir(dir);
    return e;
}

static void run_program(char **args, struct result *r) {
    pid_t pid = fork();
    if (pid < 0) {
        r->error = errno;
        return;
    }
    if (pid == 0) {
        execv(args[0], args);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            r->error = errno;
            return;
        }
    }
    if (WIFSIGNALED(status)) {
        snprintf(r->failure, sizeof r->failure, "SIGNAL%d", WTERMSIG(status));
    } else if (WEXITSTATUS(status) != 0) {
        snprintf(r->failure, sizeof r->failure, "EXIT%d", WEXITSTATUS(status));
    }
}

static void perform(int argc, char **argv, struct result *r) {
    const char *op = argv[0];
    struct stat st;
    if (strcmp(op, "stat") == 0 && argc == 2) {
        r->error = lstat(argv[1], &st) != 0 ? errno : 0;
    } else if (strcmp(op, "read") == 0 && argc == 2) {
        r->error = read_all(argv[1], &r->count);
    } else if (strcmp(op, "write") == 0 && argc == 3) {
        r->error = write_some(argv[1], atoll(argv[2]), O_CREAT | O_TRUNC, &r->count);
    } else if (strcmp(op, "append") == 0 && argc == 3) {
        r->error = write_some(argv[1], atoll(argv[2]), O_APPEND, &r->count);
    } else if (strcmp(op, "mkdir") == 0 && argc == 2) {
        r->error = make_dirs(argv[1]);
    } else if (strcmp(op, "unlink") == 0 && argc == 2) {
        r->error = unlink(argv[1]) != 0 ? errno : 0;
    } else if (strcmp(op, "rename") == 0 && argc == 3) {
        r->error = rename(argv[1], argv[2]) != 0 ? errno : 0;
    } else if (strcmp(op, "walk") == 0 && argc == 2) {
        r->error = walk(argv[1], &r->count);
    } else if (strcmp(op, "exec") == 0 && argc >= 2) {
        run_program(argv + 1, r);
    } else {
        r->error = EINVAL;
    }
}

/* The "compiler": reads IN, writes OUT (a tenth of IN's size, at least 1 KiB). */
static int compile(const char *in, const char *out) {
    long long read_bytes = 0, written = 0;
    int e = read_all(in, &read_bytes);
    if (e == 0) {
        e = write_some(out, read_bytes / 10 < 1024 ? 1024 : read_bytes / 10, O_CREAT | O_TRUNC, &written);
    }
    if (e != 0) {
        fprintf(stderr, "cc: %s: %s\n", e == 0 ? out : in, strerror(e));
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc == 4 && strcmp(argv[1], "--cc") == 0) {
        return compile(argv[2], argv[3]);
    }
    if (argc != 2) {
        fprintf(stderr, "usage: strata-sim-worker ROOT  (operations on stdin), or: strata-sim-worker --cc IN OUT\n");
        return 2;
    }
    if (chdir(argv[1]) != 0) {
        fprintf(stderr, "strata-sim-worker: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    memset(buffer, 'x', sizeof buffer);
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready %d\n", (int) getpid());
    char line[LINE];
    while (fgets(line, sizeof line, stdin) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        char *args[MAX_ARGS + 1];
        int n = 0;
        for (char *save = NULL, *word = strtok_r(line, " ", &save); word != NULL && n < MAX_ARGS; word = strtok_r(NULL, " ", &save)) {
            args[n++] = word;
        }
        args[n] = NULL;
        if (n == 0) {
            continue;
        }
        if (strcmp(args[0], "quit") == 0) {
            break;
        }
        struct result r = { 0 };
        int64_t started = now_ns();
        perform(n, args, &r);
        long long took = (long long) (now_ns() - started);
        if (r.failure[0] != '\0') {
            printf("err %s %lld\n", r.failure, took);
        } else if (r.error != 0) {
            printf("err %s %lld\n", errno_name(r.error), took);
        } else {
            printf("ok %lld %lld\n", took, r.count);
        }
    }
    return 0;
}
