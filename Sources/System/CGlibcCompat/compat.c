// Keeps every bootstrap loadable on Amazon Linux 2023 (glibc 2.34) when built on a newer glibc.
//
// glibc 2.35 added new versions of hypotf/hypot; the static Swift runtime calls hypotf, so a
// binary linked here imports hypotf@GLIBC_2.35 and would fail to load on Lambda with "version
// GLIBC_2.35 not found". Defining hypotf in the executable binds the runtime's call here instead
// (scripts/package checks that no GLIBC_2.35+ symbol remains).
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

float hypotf(float x, float y) {
    if (isinf(x) || isinf(y)) return INFINITY;  // even when the other is NaN, as C requires
    // In double precision the squares cannot overflow or underflow for float inputs, and the
    // result rounds to the correctly rounded float in all but vanishingly rare ties.
    double dx = x, dy = y;
    return (float)sqrt(dx * dx + dy * dy);
}

// glibc 2.36 added arc4random, which the static libstdc++ (linked into the release bootstraps, see
// Package.swift) imports for std::random_device. The same contract from the kernel's generator:
// getrandom (glibc 2.25) never returns short for 4 bytes once the pool is ready; EINTR retries.
uint32_t arc4random(void) {
    uint32_t value;
    while (getrandom(&value, sizeof value, 0) != (ssize_t)sizeof value) {
        if (errno != EINTR && errno != EAGAIN) abort();
    }
    return value;
}
