/* Runs a check in a forked child whose private mount namespace shows
 * another /etc/machine-id: the only honest way to see what this code does
 * on "another machine" without a second machine, and without touching the
 * host's file (the bind mount dies with the child). */
#pragma once
#ifndef _GNU_SOURCE
#error "define _GNU_SOURCE before any include (unshare)"
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* Exit status of a child that could not get a mount namespace. */
#define MNS_SKIP 77
/* Exit statuses of the namespace plumbing itself (checks return 0..99). */
#define MNS_SETUP_FAILED 120

/* Forks; in the child makes a private mount namespace, bind-mounts a file
 * holding content (len bytes, mode) over /etc/machine-id, and exits with
 * check(arg). Returns the child's exit status, or MNS_SKIP when not root or
 * unshare() is refused with EPERM. */
__attribute__((unused)) static int run_with_machine_id(const void *content, size_t len,
                                                       mode_t mode, int (*check)(void *arg),
                                                       void *arg)
{
        int status = 0;
        pid_t pid;

        if (geteuid() != 0)
                return MNS_SKIP;
        pid = fork();
        if (pid < 0)
                return MNS_SETUP_FAILED;
        if (pid == 0) {
                char tmp[] = "/tmp/cws-test-machine-id-XXXXXX";
                int fd;

                if (unshare(CLONE_NEWNS) < 0)
                        _exit(errno == EPERM ? MNS_SKIP : MNS_SETUP_FAILED);
                /* Never let the bind mount propagate back to the host. */
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        _exit(MNS_SETUP_FAILED + 1);
                fd = mkstemp(tmp);
                if (fd < 0)
                        _exit(MNS_SETUP_FAILED + 2);
                if ((len && write(fd, content, len) != (ssize_t)len) || fchmod(fd, mode) < 0) {
                        unlink(tmp);
                        _exit(MNS_SETUP_FAILED + 3);
                }
                close(fd);
                if (mount(tmp, "/etc/machine-id", NULL, MS_BIND, NULL) < 0) {
                        unlink(tmp);
                        _exit(MNS_SETUP_FAILED + 4);
                }
                unlink(tmp);   /* the mount keeps the inode alive */
                _exit(check(arg));
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return MNS_SETUP_FAILED + 5;
        if (!WIFEXITED(status))
                return MNS_SETUP_FAILED + 6;
        return WEXITSTATUS(status);
}
