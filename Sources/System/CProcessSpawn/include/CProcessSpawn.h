#ifndef SWITCHYARD_CPROCESSSPAWN_H
#define SWITCHYARD_CPROCESSSPAWN_H

#include <sys/types.h>

/// Starts `path` as a child of the calling process, for the emulator's execution environments.
///
/// The child runs in its own process group (so a signal to the emulator's group does not reach
/// it, and the emulator can kill the child's whole group), with a parent-death signal of SIGKILL
/// (so it dies with the emulator even when the emulator is SIGKILLed), default signal
/// dispositions and mask, stdin on /dev/null, stdout and stderr inherited, and no other
/// descriptor. PR_SET_PDEATHSIG fires when the *thread* that forked exits, so call this from a
/// thread that lives as long as the emulator. The child re-checks getppid() after setting the
/// signal: if the emulator died in between, the child exits instead of running orphaned.
///
/// Returns the child's pid, or -errno when the fork or the exec failed (an exec failure is
/// reported synchronously through a close-on-exec pipe). `*pidfd` receives a pidfd that becomes
/// readable when the child exits, or -1 where the kernel has no pidfd_open.
pid_t switchyard_spawn(const char *path, char *const argv[], char *const envp[], const char *directory, int *pidfd);

#endif
