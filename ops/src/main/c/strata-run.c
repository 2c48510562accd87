/*
 * strata-run: the native front end of the commands that start process trees (`strata run`,
 * `strata shell`, `strata branch exec`). A JVM costs seconds of CPU and ~140 MB to start and then sits
 * beside the tree for its whole life; this costs a millisecond and a few hundred KiB. It becomes a
 * child subreaper, asks the daemon for a runtime over the launcher socket (one round trip; the daemon
 * takes the caller's identity from the socket), runs the command, waits for the command and every
 * orphan of its tree, ends the runtime it started, and exits with the command's code (128+N for a
 * signal, 127 for a command not found, 126 for one that cannot run, as shells do).
 *
 * The commands that only talk to the daemon (status, runtime, snapshot, branch and fleet commands, unmount,
 * commit, diff) it hands to the daemon, which runs them for this caller and sends back what they
 * printed: a round trip instead of a JVM. Anything else (help, an option it does not know, a
 * repository command) goes to the full CLI named by $STRATA_FALLBACK (or strata-jvm beside this
 * program, in an installed tree), with the same arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#endif
#ifdef __APPLE__
#include <mach-o/dyld.h>
#endif

/* OUTPUT: not an answer but what a command run in the daemon writes to stderr meanwhile (its progress) */
enum { MOUNT = 1, UNMOUNT = 2, CLI = 3, OWN_MOUNT = 4, OUTPUT = 64, MAX_FRAME = 64 * 1024, MAX_REPLY = 16 * 1024 * 1024 };

struct request {
    const char *spec;
    const char *name;
    int editable, durable, join, owned, own_mount;
    char **command;
    char **argv; /* as given, for the full CLI */
};

static pid_t child = -1;

static void forward(int sig) {
    if (child > 0) {
        kill(child, sig);
    }
}

/*
 * The full CLI: $STRATA_FALLBACK (bin/strata in a checkout sets it), or else strata-jvm beside this
 * program's own file, as bin/install lays them out. NULL when there is none.
 */
static const char *full_cli(void) {
    static char path[4096];
    const char *given = getenv("STRATA_FALLBACK");
    if (given != NULL && *given != '\0') {
        return given;
    }
    if (path[0] == '\0') {
#if defined(__linux__)
        ssize_t n = readlink("/proc/self/exe", path, sizeof path - 16);
        path[n > 0 ? n : 0] = '\0';
#elif defined(__APPLE__)
        char raw[4096];
        uint32_t size = sizeof raw;
        if (_NSGetExecutablePath(raw, &size) != 0 || realpath(raw, path) == NULL) {
            path[0] = '\0';
        }
#endif
        char *slash = strrchr(path, '/');
        if (slash == NULL) {
            return NULL;
        }
        strcpy(slash + 1, "strata-jvm");
    }
    return access(path, X_OK) == 0 ? path : NULL;
}

static int fallback(char **argv) {
    const char *full = full_cli();
    if (full == NULL) {
        fprintf(stderr, "strata: usage error; see strata help %s\n", argv[1] ? argv[1] : "");
        return 2;
    }
    argv[0] = (char *) full;
    setenv("STRATA_NO_NATIVE", "1", 1); /* the full CLI, not this front end again */
    execv(full, argv);
    fprintf(stderr, "strata: cannot run %s: %s\n", full, strerror(errno));
    return 1;
}

/* ---- protobuf, the few fields we send and read ---- */

static size_t put_varint(uint8_t *out, uint64_t v) {
    size_t n = 0;
    do {
        out[n++] = (uint8_t) ((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
        v >>= 7;
    } while (v);
    return n;
}

static size_t put_string(uint8_t *out, int field, const char *s) {
    size_t len = strlen(s), n = 0;
    if (len == 0) {
        return 0;
    }
    out[n++] = (uint8_t) (field << 3 | 2);
    n += put_varint(out + n, len);
    memcpy(out + n, s, len);
    return n + len;
}

static size_t put_bool(uint8_t *out, int field, int value) {
    if (!value) {
        return 0;
    }
    out[0] = (uint8_t) (field << 3);
    out[1] = 1;
    return 2;
}

/* The value of string field 1 (RuntimeInfo.name) of a message, into name. */
/* A string field of a message into out (NUL-terminated): 0, or -1 when it is missing, malformed or longer than size - 1. */
static int get_string(const uint8_t *m, size_t len, int field, char *out, size_t size) {
    size_t i = 0;
    while (i < len) {
        uint64_t key = 0, v = 0;
        int shift = 0;
        while (i < len) { key |= (uint64_t) (m[i] & 0x7f) << shift; shift += 7; if (!(m[i++] & 0x80)) break; }
        int type = key & 7;
        if (type == 0) {
            while (i < len && (m[i++] & 0x80)) { }
        } else if (type == 2) {
            shift = 0;
            while (i < len) { v |= (uint64_t) (m[i] & 0x7f) << shift; shift += 7; if (!(m[i++] & 0x80)) break; }
            if (v > len - i) return -1;
            if ((int) (key >> 3) == field) {
                if (v >= size) return -1;
                memcpy(out, m + i, v);
                out[v] = '\0';
                return 0;
            }
            i += v;
        } else if (type == 1) {
            i += 8;
        } else if (type == 5) {
            i += 4;
        } else {
            return -1;
        }
    }
    return -1;
}

static int get_name(const uint8_t *m, size_t len, char *name, size_t size) {
    return get_string(m, len, 1, name, size);
}

/* ---- the daemon ---- */

/*
 * The launcher socket: beside $STRATA_SOCKET, or beside the socket the home's control.properties
 * names, or else the system service's (/run/strata). Anything subtler (a home set only in
 * /etc/strata/strata.conf) is found by the full CLI, to which a failed connection falls back.
 */
static int launch_socket(char *path, size_t size) {
    char control[4096] = "";
    const char *env = getenv("STRATA_SOCKET");
    if (env && *env) {
        snprintf(control, sizeof control, "%s", env);
    } else {
        char file[4096];
        const char *home = getenv("STRATA_HOME");
        if (home && *home) {
            snprintf(file, sizeof file, "%s/daemon/control.properties", home);
        } else {
            snprintf(file, sizeof file, "%s/.local/share/strata/daemon/control.properties", getenv("HOME") ? getenv("HOME") : "");
        }
        FILE *f = fopen(file, "r");
        if (!f) {
            snprintf(path, size, "/run/strata/launch.sock");
            return access(path, F_OK) == 0 ? 0 : -1;
        }
        char line[4096];
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "socket=", 7) == 0) {
                /* java.util.Properties escapes ':', '=', '#', '!', spaces and backslashes with a backslash */
                size_t o = 0;
                for (char *c = line + 7; *c && *c != '\n' && o + 1 < sizeof control; c++) {
                    if (*c == '\\' && c[1]) c++;
                    control[o++] = *c;
                }
                control[o] = '\0';
            }
        }
        fclose(f);
    }
    char *slash = strrchr(control, '/');
    if (!slash) {
        return -1;
    }
    snprintf(path, size, "%.*s/launch.sock", (int) (slash - control), control);
    return 0;
}

static int write_all(int fd, const uint8_t *b, size_t n) {
    while (n > 0) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL); /* a daemon gone meanwhile is an error, not a SIGPIPE */
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        b += w;
        n -= (size_t) w;
    }
    return 0;
}

static int read_all(int fd, uint8_t *b, size_t n) {
    while (n > 0) {
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        b += r;
        n -= (size_t) r;
    }
    return 0;
}

/* A connection to the daemon's launcher socket, or -1. */
static int connect_daemon(void) {
    char path[4200];
    if (launch_socket(path, sizeof path) != 0) {
        return -1;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un address = { .sun_family = AF_UNIX };
    if (fd < 0 || strlen(path) >= sizeof address.sun_path) {
        if (fd >= 0) close(fd);
        return -1;
    }
    strcpy(address.sun_path, path);
    if (connect(fd, (struct sockaddr *) &address, sizeof address) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static int send_frame(int fd, int kind, const uint8_t *body, size_t len) {
    uint8_t head[5] = { (uint8_t) ((len + 1) >> 24), (uint8_t) ((len + 1) >> 16), (uint8_t) ((len + 1) >> 8), (uint8_t) (len + 1),
                        (uint8_t) kind };
    return write_all(fd, head, 5) == 0 && write_all(fd, body, len) == 0 ? 0 : -1;
}

/*
 * The answer to the call sent last: its status code (0 OK) with its body in reply (NUL-terminated), or
 * -1. Output frames before it (progress of a command the daemon runs) go to stderr as they come.
 */
static int read_answer(int fd, uint8_t *reply, size_t *reply_len) {
    uint8_t size[4];
    while (read_all(fd, size, 4) == 0) {
        size_t n = (size_t) size[0] << 24 | (size_t) size[1] << 16 | (size_t) size[2] << 8 | size[3];
        uint8_t status;
        if (n < 1 || n > MAX_REPLY || read_all(fd, &status, 1) != 0 || read_all(fd, reply, n - 1) != 0) {
            return -1;
        }
        if (status == OUTPUT) {
            fwrite(reply, 1, n - 1, stderr);
            fflush(stderr);
            continue;
        }
        reply[n - 1] = '\0';
        *reply_len = n - 1;
        return status;
    }
    return -1;
}

/* One call on a connection of its own: its status code with its answer in reply, or -1. */
static int call(int kind, const uint8_t *body, size_t len, uint8_t *reply, size_t *reply_len) {
    int fd = connect_daemon();
    if (fd < 0) {
        return -1;
    }
    int code = send_frame(fd, kind, body, len) == 0 ? read_answer(fd, reply, reply_len) : -1;
    close(fd);
    return code;
}

static int no_daemon(void) {
    const char *home = getenv("STRATA_HOME");
    fprintf(stderr, "strata: no strata daemon is running for STRATA_HOME=%s; start one with: strata service start\n",
            home && *home ? home : "~/.local/share/strata");
    return 1;
}

/* ---- the tree ---- */

/*
 * --own-mount, before the tree's process is made: a mount namespace of our own, whose mounts the
 * rest of the system does not see (and which sees the system's later mounts). The tree is forked
 * after this, so it shares it.
 */
static int enter_own_namespace(void) {
#ifdef __linux__
    if (geteuid() != 0) {
        fprintf(stderr, "strata: --own-mount needs root: it makes a mount namespace for the tree\n");
        return -1;
    }
    if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) != 0) {
        fprintf(stderr, "strata: cannot make a mount namespace for the tree: %s\n", strerror(errno));
        return -1;
    }
    return 0;
#else
    fprintf(stderr, "strata: --own-mount is Linux only\n");
    return -1;
#endif
}

/*
 * --own-mount, once the daemon made the runtime: mounts a FUSE connection of the tree's own over the
 * shared mount point, in our namespace alone, and hands its device to the daemon (which takes it from
 * this process with pidfd_getfd). Ours is closed then, so the connection ends with the daemon's.
 */
static int hand_over_own_mount(int daemon, const struct request *r, const char *name, const uint8_t *reply, size_t reply_len) {
#ifdef __linux__
    static char mountpoint[PATH_MAX], options[256];
    static uint8_t body[512 + PATH_MAX], answer[MAX_REPLY + 1];
    if (get_string(reply, reply_len, 13, mountpoint, sizeof mountpoint) != 0 || mountpoint[0] != '/') {
        fprintf(stderr, "strata: the daemon's answer names no mount point for the runtime's own mount\n");
        return -1;
    }
    int fuse = open("/dev/fuse", O_RDWR | O_CLOEXEC);
    if (fuse < 0) {
        fprintf(stderr, "strata: cannot open /dev/fuse: %s\n", strerror(errno));
        return -1;
    }
    /* default_permissions: the kernel checks each access against the attributes it keeps (the view's own) */
    snprintf(options, sizeof options, "fd=%d,rootmode=40000,user_id=0,group_id=0,allow_other,default_permissions", fuse);
    unsigned long flags = MS_NOSUID | MS_NODEV | (r->editable ? 0 : MS_RDONLY);
    if (mount("strata", mountpoint, "fuse.strata", flags, options) != 0) {
        fprintf(stderr, "strata: cannot mount the runtime's own connection at %s: %s\n", mountpoint, strerror(errno));
        close(fuse);
        return -1;
    }
    size_t n = put_string(body, 1, name);
    body[n++] = 2 << 3;
    n += put_varint(body + n, (uint64_t) fuse);
    size_t answer_len = 0;
    int code = send_frame(daemon, OWN_MOUNT, body, n) == 0 ? read_answer(daemon, answer, &answer_len) : -1;
    close(fuse);
    if (code != 0) {
        fprintf(stderr, "strata: %s\n", code > 0 ? (char *) answer : "the daemon closed the connection without an answer");
        return -1;
    }
    return 0;
#else
    (void) daemon; (void) r; (void) name; (void) reply; (void) reply_len;
    return -1;
#endif
}

static int run(struct request *r) {
#ifdef __linux__
    prctl(PR_SET_CHILD_SUBREAPER, 1); /* orphans of the tree come back to us: the runtime lasts until they end */
#endif
    static uint8_t body[MAX_FRAME], reply[MAX_REPLY + 1];
    size_t n = 0, reply_len = 0;
    if (strlen(r->spec) + strlen(r->name) > MAX_FRAME - 64) {
        fprintf(stderr, "strata: the env spec or name is too long\n");
        return 2;
    }
    body[n++] = 1 << 3;
    n += put_varint(body + n, (uint64_t) getpid());
    n += put_string(body + n, 2, r->spec);
    n += put_string(body + n, 3, r->name);
    n += put_bool(body + n, 4, r->editable);
    n += put_bool(body + n, 5, r->durable);
    n += put_bool(body + n, 6, r->join);
    n += put_bool(body + n, 7, r->own_mount);
    if (r->own_mount && enter_own_namespace() != 0) {
        return 1;
    }
    int daemon = connect_daemon();
    if (daemon < 0 || send_frame(daemon, MOUNT, body, n) != 0) {
        /* no daemon where this front end looks: the full CLI also reads the configuration files */
        return full_cli() ? fallback(r->argv) : no_daemon();
    }
    /*
     * The command's process is made while the daemon makes the runtime, and waits on `go` (a socket
     * pair: a child killed meanwhile is an error, not a SIGPIPE) for the runtime's name: it must not
     * touch the mount before its tree is bound. `ready` brings back an exec failure's errno; both
     * close on exec.
     */
    int go[2], ready[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, go) != 0 || pipe2(ready, O_CLOEXEC) != 0) {
        perror("strata: pipe");
        return 1;
    }
    child = fork();
    if (child == 0) {
        close(go[1]);
        close(ready[0]);
        close(daemon);
        /* the runtime's name; a daemon without FUSE adds a NUL and the directory of the view's copy */
        char name[256 + PATH_MAX];
        size_t got = 0;
        ssize_t k;
        while (got < sizeof name - 1 && ((k = read(go[0], name + got, sizeof name - 1 - got)) > 0 || (k < 0 && errno == EINTR))) {
            got += k > 0 ? (size_t) k : 0;
        }
        if (got == 0) {
            _exit(1); /* no runtime: the parent says why */
        }
        name[got] = '\0';
        setenv("STRATA_RUNTIME", name, 1);
        size_t name_len = strlen(name);
        if (name_len + 1 < got) {
            const char *view = name + name_len + 1;
            if (chdir(view) != 0) {
                fprintf(stderr, "strata: cannot enter the view's copy %s: %s\n", view, strerror(errno));
                _exit(126);
            }
            setenv("STRATA_VIEW", view, 1);
        }
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        execvp(r->command[0], r->command);
        int e = errno;
        if (write(ready[1], &e, sizeof e) < 0) { }
        _exit(e == ENOENT ? 127 : 126);
    }
    close(go[0]);
    close(ready[1]);
    if (child < 0) {
        perror("strata: fork");
        return 1;
    }
    int code = read_answer(daemon, reply, &reply_len);
    char name[256];
    if (code == 0 && get_name(reply, reply_len, name, sizeof name) != 0) {
        fprintf(stderr, "strata: the daemon's answer names no runtime\n");
        code = -2;
    }
    if (code != 0) {
        close(go[1]); /* the command's process ends without running it */
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) { }
        if (code == -1) {
            fprintf(stderr, "strata: the daemon closed the connection without an answer\n");
        } else if (code > 0) {
            fprintf(stderr, "strata: %s\n", (char *) reply);
        }
        return code == 3 ? 2 : 1; /* INVALID_ARGUMENT is a usage error */
    }
    if (r->own_mount && hand_over_own_mount(daemon, r, name, reply, reply_len) != 0) {
        close(go[1]); /* the command's process ends without running it */
        while (waitpid(child, NULL, 0) < 0 && errno == EINTR) { }
        return 1;
    }
    static char view[PATH_MAX], warning[4096];
    size_t go_len = strlen(name);
    if (get_string(reply, reply_len, 11, view, sizeof view) == 0 && view[0] != '\0') {
        /* a daemon without FUSE: the tree runs in a rendered copy of its view, and is told so once */
        if (get_string(reply, reply_len, 12, warning, sizeof warning) == 0) {
            fprintf(stderr, "%s\n", warning);
        }
        static char both[256 + PATH_MAX];
        snprintf(both, sizeof both, "%s", name);
        memcpy(both + go_len + 1, view, strlen(view) + 1);
        go_len += 1 + strlen(view);
        if (write_all(go[1], (const uint8_t *) both, go_len) != 0) {
            perror("strata: starting the command");
        }
    } else if (write_all(go[1], (const uint8_t *) name, go_len) != 0) {
        perror("strata: starting the command");
    }
    close(go[1]);
    int status = 0, exec_errno = 0;
    /* the terminal sends ^C and ^\ to the whole foreground group: the command decides; we wait */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    struct sigaction fwd = { .sa_handler = forward };
    sigaction(SIGTERM, &fwd, NULL);
    sigaction(SIGHUP, &fwd, NULL);
    if (read(ready[0], &exec_errno, sizeof exec_errno) != sizeof exec_errno) {
        exec_errno = 0;
    }
    while (waitpid(child, &status, 0) < 0 && errno == EINTR) { }
    /* reparented orphans (daemons started inside) keep the runtime alive until they end */
    int orphan;
    while (waitpid(-1, &orphan, 0) > 0 || errno == EINTR) { }
    close(ready[0]);
    if (exec_errno == ENOENT) {
        fprintf(stderr, "strata: %s: command not found\n", r->command[0]);
    } else if (exec_errno != 0) {
        fprintf(stderr, "strata: %s: %s\n", r->command[0], strerror(exec_errno));
    }
    if (r->owned) {
        /* on the same connection, and not waited for: the daemon also ends it when its root exits */
        n = put_string(body, 1, name);
        send_frame(daemon, UNMOUNT, body, n);
    }
    close(daemon);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

/* ---- commands the daemon runs ---- */

/* A varint or length-delimited field of a message: its number, and the value or the bytes. */
static size_t next_field(const uint8_t *m, size_t len, size_t i, int *field, uint64_t *value, const uint8_t **bytes) {
    uint64_t key = 0, v = 0;
    int shift = 0;
    while (i < len) { key |= (uint64_t) (m[i] & 0x7f) << shift; shift += 7; if (!(m[i++] & 0x80)) break; }
    shift = 0;
    while (i < len) { v |= (uint64_t) (m[i] & 0x7f) << shift; shift += 7; if (!(m[i++] & 0x80)) break; }
    *field = (int) (key >> 3);
    *value = v;
    *bytes = NULL;
    if ((key & 7) == 2) {
        if (v > len - i) return len + 1;
        *bytes = m + i;
        i += v;
    }
    return i;
}

static int in_daemon(int argc, char **argv) {
    static uint8_t body[MAX_FRAME], reply[MAX_REPLY + 1];
    size_t n = 0, reply_len = 0;
    for (int i = 1; i < argc; i++) {
        size_t len = strlen(argv[i]);
        if (n + len + 16 > sizeof body) {
            return fallback(argv);
        }
        n += put_string(body + n, 1, argv[i]);
        if (len == 0) { /* an empty argument still counts */
            body[n++] = 1 << 3 | 2;
            body[n++] = 0;
        }
    }
    struct winsize terminal;
    const char *term = getenv("TERM");
    if ((term == NULL || strcmp(term, "dumb") != 0) && isatty(STDERR_FILENO) && ioctl(STDERR_FILENO, TIOCGWINSZ, &terminal) == 0 && terminal.ws_col > 0) {
        body[n++] = 2 << 3; /* CliRequest.terminal_columns: the daemon draws progress for a person */
        n += put_varint(body + n, terminal.ws_col);
    }
    int code = call(CLI, body, n, reply, &reply_len);
    if (code < 0 || code == 12) {
        return fallback(argv); /* no daemon (the full CLI says so, and how to start one), or one that runs no commands */
    }
    if (code != 0) {
        fprintf(stderr, "strata: %s\n", (char *) reply);
        return 1;
    }
    int exit_code = 0, field; /* proto3 leaves a zero exit code out */
    uint64_t value;
    const uint8_t *bytes;
    for (size_t i = 0; i < reply_len;) {
        i = next_field(reply, reply_len, i, &field, &value, &bytes);
        if (i > reply_len) break;
        if (field == 1) exit_code = (int) value;
        if (field == 2 && bytes) fwrite(bytes, 1, value, stdout);
        if (field == 3 && bytes) fwrite(bytes, 1, value, stderr);
    }
    return exit_code;
}

/* Whether the daemon runs this command itself: those that only talk to it, and no help. */
static int runs_in_daemon(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-V") == 0
                || strcmp(argv[i], "--version") == 0) {
            return 0;
        }
    }
    const char *verb = argv[1], *sub = argc > 2 ? argv[2] : "";
    return (strcmp(verb, "service") == 0 && strcmp(sub, "status") == 0)
            || (strcmp(verb, "runtime") == 0 && argc > 2)
            || (strcmp(verb, "snapshot") == 0 && argc > 2)
            || (strcmp(verb, "branch") == 0 && argc > 2 && strcmp(sub, "exec") != 0)
            || (strcmp(verb, "fleet") == 0 && argc > 2)
            || strcmp(verb, "unmount") == 0
            || strcmp(verb, "commit") == 0
            || strcmp(verb, "diff") == 0 /* the scratch's, or with two specs the repository's */
            || strcmp(verb, "ls") == 0 || strcmp(verb, "info") == 0 || strcmp(verb, "tags") == 0 || strcmp(verb, "log") == 0;
}

/* ---- arguments ---- */

int main(int argc, char **argv) {
    struct request r = { .spec = "", .name = "", .owned = 1, .argv = argv };
    static char *shell[2];
    if (argc < 2) {
        return fallback(argv);
    }
    int i = 2;
    const char *verb = argv[1];
    if (runs_in_daemon(argc, argv)) {
        return in_daemon(argc, argv);
    }
    if (strcmp(verb, "branch") == 0) {
        /* branch exec B -- CMD... */
        if (argc < 5 || strcmp(argv[2], "exec") != 0 || argv[3][0] == '-') {
            return fallback(argv);
        }
        r.name = argv[3];
        r.join = 1;
        r.owned = 0;
        i = 4;
        if (strcmp(argv[i], "--") == 0) {
            i++;
        }
        if (i >= argc) {
            return fallback(argv);
        }
        r.command = argv + i;
        return run(&r);
    }
    int is_run = strcmp(verb, "run") == 0;
    if (!is_run && strcmp(verb, "shell") != 0) {
        return fallback(argv);
    }
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        } else if (strcmp(a, "--edit") == 0) {
            r.editable = 1;
        } else if (strcmp(a, "--own-mount") == 0) {
            r.own_mount = 1;
        } else if (is_run && strcmp(a, "--durable") == 0) {
            r.durable = r.editable = 1;
        } else if (strcmp(a, "--name") == 0 && i + 1 < argc) {
            r.name = argv[++i];
        } else if (strncmp(a, "--name=", 7) == 0) {
            r.name = a + 7;
        } else if (is_run && strcmp(a, "--join") == 0 && i + 1 < argc) {
            r.name = argv[++i];
            r.join = 1;
            r.owned = 0;
        } else if (a[0] == '-') {
            return fallback(argv); /* --help and anything else: the full CLI */
        } else if (*r.spec == '\0' && !r.join) {
            r.spec = a;
        } else {
            break; /* the command, without a -- before it */
        }
    }
    if (!r.join && *r.spec == '\0') {
        return fallback(argv);
    }
    if (r.durable && *r.name == '\0') {
        return fallback(argv);
    }
    if (is_run) {
        if (i >= argc) {
            return fallback(argv);
        }
        r.command = argv + i;
    } else {
        const char *s = getenv("SHELL");
        shell[0] = (char *) (s && *s ? s : "/bin/sh");
        r.command = shell;
    }
    return run(&r);
}
