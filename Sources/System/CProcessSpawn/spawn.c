#define _GNU_SOURCE
#include "CProcessSpawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Between fork and exec only async-signal-safe calls: this runs in a copy of a multithreaded
 * process whose other threads (and their locks) did not come along. */
static void child(const char *path, char *const argv[], char *const envp[], const char *directory, pid_t parent,
                  int devnull, int report) {
    int failure;
    if (setpgid(0, 0) != 0) goto fail;
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) goto fail;
    /* The parent may have died before the signal was armed: then nobody would ever send it. */
    if (getppid() != parent) _exit(127);

    sigset_t all;
    sigemptyset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    /* The emulator ignores SIGTERM, SIGINT and SIGPIPE, and an ignored signal stays ignored across exec. */
    struct sigaction dfl = {0};
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) {
        if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, NULL);
    }

    if (dup2(devnull, 0) < 0) goto fail;
    if (directory && directory[0] && chdir(directory) != 0) goto fail;

    /* Everything above stderr closes at exec, the report pipe included (it is close-on-exec). */
    if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {
        struct rlimit limit;
        int top = getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < 65536 ? (int)limit.rlim_cur : 65536;
        for (int fd = 3; fd < top; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    execve(path, argv, envp);
fail:
    failure = errno;
    (void)!write(report, &failure, sizeof failure);
    _exit(127);
}

pid_t switchyard_spawn(const char *path, char *const argv[], char *const envp[], const char *directory, int *pidfd) {
    *pidfd = -1;
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) return -errno;
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) {
        int e = errno;
        close(devnull);
        return -e;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) child(path, argv, envp, directory, parent, devnull, report[1]);
    int forkError = errno;
    close(devnull);
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        return -forkError;
    }
    int failure = 0;
    ssize_t n;
    do n = read(report[0], &failure, sizeof failure); while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof failure) {
        /* The child never ran the program: collect it here, so no zombie is left behind. */
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR) {}
        return -(failure ? failure : ECHILD);
    }
    long fd = syscall(SYS_pidfd_open, pid, 0);
    *pidfd = fd >= 0 ? (int)fd : -1;
    return pid;
}
