/*
 * The differential conformance probe: a long, fixed script of system calls run in DIR, printing for
 * each step its result and errno and, where a path is involved, the stat fields a program can rely on
 * (type and mode, link count, owner, size of non-directories, and whether ctime moved). Times and
 * inode numbers are left out, since they differ between any two file systems. The same run on ext4
 * and in a Strata runtime must print the same lines; the test compares them.
 *
 *   posix-probe DIR     DIR holds the lower tree the test prepared (see PosixDifferentialTest)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

static int step;

/* What a path is now: type and mode, links, owner, and the size of anything but a directory. */
static void show(const char *path) {
    struct stat st;
    if (lstat(path, &st) != 0) {
        printf("    %s: %s\n", path, strerrorname_np(errno));
        return;
    }
    printf("    %s: mode %06o links %lu owner %u:%u", path, st.st_mode, (unsigned long) st.st_nlink, st.st_uid, st.st_gid);
    if (!S_ISDIR(st.st_mode)) {
        printf(" size %lld", (long long) st.st_size);
    }
    printf("\n");
}

static void result(const char *what, long ret) {
    int saved = errno;
    if (ret < 0) {
        printf("%3d %s = -1 %s\n", ++step, what, strerrorname_np(saved));
    } else {
        printf("%3d %s = %ld\n", ++step, what, ret);
    }
    errno = saved;
}

/* ctime before and after a call: does the call change it (chown, link, rename, ...)? */
static long long ctime_of(const char *path) {
    struct stat st;
    return lstat(path, &st) == 0 ? st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec : -1;
}

static void ctime_moved(const char *path, long long before) {
    long long after = ctime_of(path);
    printf("    ctime of %s %s\n", path, after < 0 ? "gone" : after != before ? "moved" : "kept");
}

/* open(2) that leaves no descriptor behind, so later steps print the same descriptor numbers. */
static int open_close(const char *path, int flags) {
    int fd = open(path, flags, 0644);
    if (fd >= 0) {
        close(fd);
        return 0;
    }
    return fd;
}

/* connect(2) to a Unix socket's name: EACCES without write permission on it, ECONNREFUSED with no listener. */
static int connect_to(const char *path) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int r = connect(s, (struct sockaddr *) &addr, sizeof addr);
    int saved = errno;
    close(s);
    errno = saved;
    return r;
}

#define DO(call) result(#call, (long) (call))
#define AND_SHOW(call, path) do { DO(call); show(path); } while (0)
/* For the ctime rule: wait a tick, so that a change is visible at any timestamp granularity. */
#define CTIME(call, path) do { long long before_ = ctime_of(path); usleep(20000); DO(call); ctime_moved(path, before_); } while (0)

static void list(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) {
        printf("    list %s: %s\n", dir, strerrorname_np(errno));
        return;
    }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256) {
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    for (int i = 1; i < n; i++) { /* a few names: insertion sort */
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    }
    printf("    list %s:", dir);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void files(void) {
    printf("-- files\n");
    int fd;
    char buf[64];
    DO(fd = open("new", O_CREAT | O_EXCL | O_RDWR, 0444));
    show("new");
    DO(write(fd, "hello world", 11));
    DO(pread(fd, buf, sizeof buf, 6));
    DO(ftruncate(fd, 5));
    DO(lseek(fd, 0, SEEK_END));
    DO(fallocate(fd, 0, 0, 8192));
    AND_SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), "new");
    AND_SHOW(fallocate(fd, FALLOC_FL_ZERO_RANGE, 8192, 100), "new");
    DO(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10)); /* without KEEP_SIZE: EOPNOTSUPP */
    DO(lseek(fd, 0, SEEK_DATA));
    DO(lseek(fd, 0, SEEK_HOLE));
    DO(lseek(fd, 9000, SEEK_DATA));
    int copy = open("copy", O_CREAT | O_RDWR, 0600);
    DO(copy_file_range(fd, NULL, copy, NULL, 100, 0));
    DO(pread(copy, buf, sizeof buf, 0));
    close(copy);
    show("copy");
    DO(close(fd));
    int unnamed;
    DO(unnamed = open(".", O_TMPFILE | O_RDWR, 0600));
    DO(write(unnamed, "unnamed", 7));
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", unnamed);
    DO(linkat(AT_FDCWD, proc, AT_FDCWD, "from-tmpfile", AT_SYMLINK_FOLLOW));
    show("from-tmpfile");
    close(unnamed);
    DO(open("new", O_CREAT | O_EXCL | O_RDWR, 0644));
    DO(open("new", O_RDWR)); /* 0444: only root may */
    DO(open("new/x", O_RDONLY));
    DO(open("new", O_RDONLY | O_DIRECTORY));
    DO(open(".", O_WRONLY));
    DO(truncate("new", 100));
    show("new");
    DO(truncate(".", 0));
    DO(truncate("new", -1));
    DO(unlink("."));
    DO(rmdir("new"));
    DO(mkdir("new", 0755));
    DO(symlink("new", "to-new"));
    DO(readlink("to-new", buf, sizeof buf));
    DO(symlink("", "empty-link"));
    AND_SHOW(mknod("fifo", S_IFIFO | 0640, 0), "fifo");
    DO(mknod("chr", S_IFCHR | 0600, makedev(1, 3)));
    DO(mknod("plain", S_IFREG | 0600, 0));
    show("plain");
    list(".");
}

static void names(void) {
    printf("-- names\n");
    char name[300];
    memset(name, 'n', sizeof name);
    name[255] = '\0';
    DO(mkdir(name, 0755));
    DO(rmdir(name));
    name[255] = 'n';
    name[256] = '\0';
    DO(mkdir(name, 0755));
    DO(open(name, O_CREAT | O_RDWR, 0644));
    DO(mkdir("", 0755));
    DO(mkdir(".", 0755));
    DO(mkdir("..", 0755));
    /* deeper than PATH_MAX, walked relative to a working directory */
    DO(mkdir("deep", 0755));
    char cwd[PATH_MAX];
    if (getcwd(cwd, sizeof cwd) == NULL) {
        return;
    }
    memset(name, 'd', 200);
    name[200] = '\0';
    int depth = 0, ok = 1;
    ok = chdir("deep") == 0;
    while (ok && depth < 25) {
        ok = mkdir(name, 0755) == 0 && chdir(name) == 0;
        depth++;
    }
    result("25 levels of 200-byte names below deep", ok ? depth : -1);
    int fd = open("bottom", O_CREAT | O_RDWR, 0644);
    result("a file at the bottom", fd);
    if (fd >= 0) {
        close(fd);
    }
    char *deep = getcwd(NULL, 0);
    result("getcwd() beyond PATH_MAX", deep == NULL ? -1 : (long) (strlen(deep) > PATH_MAX));
    free(deep);
    if (chdir(cwd) != 0) {
        exit(1);
    }
}

static void renames(void) {
    printf("-- renames\n");
    int fd = open("r-a", O_CREAT | O_RDWR, 0644);
    close(fd);
    fd = open("r-b", O_CREAT | O_RDWR, 0644);
    close(fd);
    mkdir("r-dir", 0755);
    mkdir("r-full", 0755);
    mkdir("r-full/sub", 0755);
    DO(renameat2(AT_FDCWD, "r-a", AT_FDCWD, "r-b", RENAME_NOREPLACE));
    DO(renameat2(AT_FDCWD, "r-a", AT_FDCWD, "r-dir", RENAME_EXCHANGE));
    show("r-a");
    show("r-dir");
    DO(renameat2(AT_FDCWD, "r-a", AT_FDCWD, "r-dir", RENAME_EXCHANGE));
    DO(renameat2(AT_FDCWD, "r-a", AT_FDCWD, "r-b", RENAME_NOREPLACE | RENAME_EXCHANGE));
    DO(rename("r-a", "r-dir"));
    DO(rename("r-dir", "r-a"));
    DO(rename("r-dir", "r-full"));
    DO(rename("r-dir", "r-dir/inside"));
    DO(rename("r-full/sub", "r-dir"));
    list("r-full");
    CTIME(rename("r-a", "r-b"), "r-b");
    DO(rename("r-nothing", "r-c"));
    DO(rename("r-b", "r-b"));
    list(".");
}

static void links(void) {
    printf("-- links\n");
    int fd = open("l-file", O_CREAT | O_RDWR, 0644);
    close(fd);
    CTIME(link("l-file", "l-second"), "l-file");
    show("l-file");
    DO(link(".", "l-dir"));
    DO(link("l-file", "l-second"));
    DO(unlink("l-second"));
    show("l-file");
    /* the lower tree's hard links: two names, one object */
    show("lower/hard1");
    show("lower/hard2");
    struct stat one, two;
    if (stat("lower/hard1", &one) == 0 && stat("lower/hard2", &two) == 0) {
        printf("    hard1 and hard2: %s\n", one.st_ino == two.st_ino ? "one inode" : "two inodes");
    }
    fd = open("lower/hard1", O_WRONLY | O_APPEND);
    DO(write(fd, "more", 4));
    close(fd);
    show("lower/hard2");
    DO(unlink("lower/hard1"));
    show("lower/hard2");
}

static void attributes(void) {
    printf("-- attributes\n");
    int fd = open("a-file", O_CREAT | O_RDWR, 0644);
    close(fd);
    CTIME(chmod("a-file", 04755), "a-file");
    show("a-file");
    AND_SHOW(chmod("a-file", 01644), "a-file");
    CTIME(chown("a-file", getuid(), getgid()), "a-file");
    CTIME(chown("a-file", -1, -1), "a-file");
    DO(chown("a-file", 4242, -1));
    DO(chown("a-file", -1, 4242));
    show("a-file");
    DO(lchown("lower/link-to-file", getuid(), -1));
    show("lower/link-to-file");
    struct timespec times[2] = {{.tv_sec = 1000000000, .tv_nsec = 0}, {.tv_sec = 0, .tv_nsec = UTIME_OMIT}};
    int set = utimensat(AT_FDCWD, "a-file", times, 0);
    result("utimensat(AT_FDCWD, \"a-file\", {1000000000, UTIME_OMIT}, 0)", set);
    struct stat st;
    if (set == 0 && stat("a-file", &st) == 0) { /* an atime nobody set is the copy's, and differs */
        printf("    atime %ld\n", (long) st.st_atime);
    }
    times[0].tv_nsec = UTIME_NOW;
    times[1].tv_nsec = UTIME_OMIT;
    DO(utimensat(AT_FDCWD, "a-file", times, 0));
    DO(utimensat(AT_FDCWD, "lower/root-private", NULL, 0));
    DO(access("a-file", R_OK | W_OK));
    DO(access("lower/root-private", R_OK));
    DO(access("lower/root-exec", X_OK));
    DO(access("lower/dir", X_OK));
    struct statfs fs;
    DO(statfs(".", &fs));
    printf("    namelen %ld\n", (long) fs.f_namelen);
}

static void xattrs(void) {
    printf("-- xattrs\n");
    int fd = open("x-file", O_CREAT | O_RDWR, 0644);
    close(fd);
    char buf[16];
    DO(setxattr("x-file", "user.one", "value", 5, 0));
    DO(setxattr("x-file", "user.one", "again", 5, XATTR_CREATE));
    DO(setxattr("x-file", "user.two", "v", 1, XATTR_REPLACE));
    DO(getxattr("x-file", "user.one", buf, sizeof buf));
    DO(getxattr("x-file", "user.one", buf, 2));
    DO(getxattr("x-file", "user.one", NULL, 0));
    DO(getxattr("x-file", "user.none", buf, sizeof buf));
    DO(listxattr("x-file", NULL, 0));
    DO(removexattr("x-file", "user.one"));
    DO(removexattr("x-file", "user.one"));
    DO(setxattr("x-file", "trusted.t", "v", 1, 0));
    DO(setxattr("fifo", "user.f", "v", 1, 0));
    DO(setxattr("lower/file", "user.lower", "v", 1, 0));
    DO(getxattr("lower/file", "user.lower", buf, sizeof buf));
}

static void lower(void) {
    printf("-- the lower tree\n");
    list("lower");
    list("lower/dir");
    show("lower/setuid-root");
    show("lower/setuid-user");
    char buf[64];
    int fd = open("lower/file", O_RDWR);
    DO(fd);
    DO(pread(fd, buf, sizeof buf, 0));
    DO(pwrite(fd, "X", 1, 0)); /* copy-up */
    close(fd);
    show("lower/file");
    DO(unlink("lower/dir/inner"));
    list("lower/dir");
    DO(rmdir("lower/dir"));
    DO(rmdir("lower/empty"));
    DO(mkdir("lower/empty", 0700));
    show("lower/empty");
    list("lower/empty");
    DO(rename("lower/dir", "moved-dir"));
    list("moved-dir");
    DO(open("lower/root-private", O_RDONLY));
    DO(open("lower/group-only", O_RDONLY)); /* group 4242: a supplementary group of one of the users */
    DO(open("lower/fifo", O_RDONLY | O_NONBLOCK));
    DO(open_close("lower/fifo-private", O_RDONLY | O_NONBLOCK));
    DO(open_close("lower/fifo-search-only", O_RDONLY | O_NONBLOCK));
    DO(open_close("lower/fifo-owner-reads", O_RDWR));
    DO(connect_to("lower/socket-private")); /* write permission first, then: no listener */
    DO(unlink("lower/fifo"));
    DO(truncate("lower/setuid-user", 1));
    show("lower/setuid-user");
    /* fs.protected_symlinks, where the host sets it: in a sticky world-writable directory, another
       user's symlink is not followed */
    DO(open_close("sticky/root-link", O_RDONLY));
    DO(open_close("sticky/user-link", O_RDONLY)); /* followed only by its owner */
    DO(readlink("sticky/root-link", buf, sizeof buf));
    /* fs.protected_regular and protected_fifos: O_CREAT of another user's existing file there */
    DO(open_close("sticky/other-file", O_CREAT | O_WRONLY));
    DO(open_close("sticky/other-fifo", O_CREAT | O_RDONLY | O_NONBLOCK));
    DO(unlink("sticky/root-file"));
    DO(rename("sticky/root-file", "sticky/taken"));
    fd = open("sticky/mine", O_CREAT | O_RDWR, 0644);
    close(fd);
    DO(unlink("sticky/mine"));
    fd = open("setgid-dir/made", O_CREAT | O_RDWR, 0644);
    DO(fd);
    close(fd);
    show("setgid-dir/made");
    DO(mkdir("setgid-dir/sub", 0755));
    show("setgid-dir/sub");
    list(".");
}

static long long atime_of(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 ? st.st_atim.tv_sec * 1000000000LL + st.st_atim.tv_nsec : -1;
}

static void read_all(const char *path) {
    char buf[64];
    int fd = open(path, O_RDONLY);
    if (fd >= 0) {
        while (read(fd, buf, sizeof buf) > 0) {
        }
        close(fd);
    }
}

/* O_DIRECT, O_NOATIME, a shared map and read(2)/write(2) of another process, atime under relatime. */
static void io_modes(void) {
    static char block[4096] __attribute__((aligned(4096)));
    memset(block, 'd', sizeof block);
    int fd = open("direct", O_CREAT | O_RDWR | O_DIRECT, 0644);
    DO(fd);
    DO(pwrite(fd, block, sizeof block, 0));
    DO(pread(fd, block, sizeof block, 0));
    close(fd);
    DO(open_close("lower/file", O_RDONLY | O_DIRECT));
    DO(open_close("direct", O_RDONLY | O_NOATIME));
    DO(open_close("lower/file", O_RDONLY | O_NOATIME)); /* root's: EPERM for anyone else */

    const char *mapped[] = {"mapped", "lower/hard2"}; /* a new file, and a lower one (copied up by the map's open) */
    for (int i = 0; i < 2; i++) {
        fd = open(mapped[i], O_CREAT | O_RDWR, 0666);
        DO(fd);
        if (fd < 0) {
            continue;
        }
        DO(ftruncate(fd, 4096));
        char *map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        printf("%3d mmap(%s, MAP_SHARED) %s\n", ++step, mapped[i], map == MAP_FAILED ? strerrorname_np(errno) : "ok");
        if (map != MAP_FAILED) {
            pid_t child = fork();
            if (child == 0) {
                memcpy(map, "through the map", 15);
                _exit(0);
            }
            waitpid(child, NULL, 0);
            char got[16] = {0};
            int reader = open(mapped[i], O_RDONLY);
            DO(pread(reader, got, 15, 0));
            printf("    another process's map, read(2): %s\n", got);
            child = fork();
            if (child == 0) {
                int writer = open(mapped[i], O_WRONLY);
                _exit(pwrite(writer, "by pwrite(2)", 12, 0) == 12 ? 0 : 1);
            }
            waitpid(child, NULL, 0);
            printf("    another process's pwrite(2), the map: %.12s\n", map);
            close(reader);
            munmap(map, 4096);
        }
        close(fd);
    }

    /* relatime: a read moves an atime older than the mtime, and a second read leaves it */
    fd = open("atime", O_CREAT | O_RDWR, 0644);
    DO(write(fd, "x", 1));
    close(fd);
    struct timespec old[2] = {{.tv_sec = 1000000000, .tv_nsec = 0}, {.tv_sec = 0, .tv_nsec = UTIME_OMIT}};
    DO(utimensat(AT_FDCWD, "atime", old, 0));
    long long before = atime_of("atime");
    read_all("atime");
    long long after = atime_of("atime");
    printf("    atime after a read: %s\n", after != before ? "moved" : "kept");
    read_all("atime");
    printf("    atime after another read: %s\n", atime_of("atime") != after ? "moved" : "kept");
    before = atime_of("lower/file");
    read_all("lower/file");
    printf("    atime of a lower file after a read: %s\n", atime_of("lower/file") != before ? "moved" : "kept");
}

int main(int argc, char **argv) {
    if (argc != 2 || chdir(argv[1]) != 0) {
        fprintf(stderr, "usage: posix-probe DIR\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    umask(022);
    printf("as uid %u gid %u\n", getuid(), getgid());
    /* each user works in a directory of its own: root in the tree, others in the sticky one (a
       read-only tree: everyone at its top) */
    char own[64];
    snprintf(own, sizeof own, "sticky/u%u", getuid());
    if (getuid() != 0 && mkdir(own, 0755) == 0) {
        if (chdir(own) != 0 || symlink("../../lower", "lower") != 0 || symlink("../../sticky", "sticky") != 0
                || symlink("../../setgid-dir", "setgid-dir") != 0) {
            perror("a directory of its own");
            return 1;
        }
    } else if (getuid() != 0 && errno != EROFS) {
        perror("a directory of its own");
        return 1;
    }
    files();
    names();
    renames();
    links();
    attributes();
    xattrs();
    io_modes();
    lower();
    printf("%d steps\n", step);
    return 0;
}
