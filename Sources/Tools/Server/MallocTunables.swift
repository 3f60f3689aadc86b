#if canImport(Glibc)
    import Glibc
#endif

/// glibc's allocator settings for `switchyard-server`, set once at start by re-executing the
/// binary with `GLIBC_TUNABLES` (docs/frontdoor.md, "Billing on: the soak, attributed").
///
/// Why: under a sustained billing-on load the live heap stays flat (3–5 MiB, heaptrack) while RSS
/// rose +0.76 MiB/min, all of it in glibc's arenas: freed memory kept where other threads cannot
/// use it. Two places hold it, and the soak stays flat only with both gone (measured one at a time):
/// - per-thread caches (tcache): each of the server's ~74 threads (64 blocking-pool threads among
///   them) keeps up to 7 freed chunks per size class, filled slowly as work moves between threads;
/// - per-arena free space: glibc makes up to 8 arenas per core, and a chunk freed into one arena
///   serves only the threads of that arena.
/// The tcache cannot be set with `mallopt` (glibc reads it only from `GLIBC_TUNABLES` at process
/// start), hence the re-exec; all four settings are set there, in one place.
enum MallocTunables {
    /// One arena per core; no thread caches; the mmap and trim thresholds fixed at 128 KiB (glibc
    /// otherwise raises them after a large block is freed, keeping the next large blocks in the arenas).
    static func value(cores: Int) -> String {
        "glibc.malloc.arena_max=\(max(1, cores)):glibc.malloc.tcache_count=0"
            + ":glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072"
    }

    /// Re-executes this process with `value` in `GLIBC_TUNABLES` (the pid and arguments stay the
    /// same), unless the variable is already set: by this re-exec, whose value is then removed so
    /// child processes do not inherit it, or by the operator, whose value wins. Returns only when
    /// it did not re-execute: with a line for the log, or nil after the re-exec.
    static func apply() -> String? {
        #if canImport(Glibc)
            let cores = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
            let ours = value(cores: cores)
            if let current = getenv("GLIBC_TUNABLES").map({ String(cString: $0) }) {
                guard current == ours else { return "allocator: GLIBC_TUNABLES set by the operator, kept: \(current)" }
                unsetenv("GLIBC_TUNABLES")
                return nil
            }
            setenv("GLIBC_TUNABLES", ours, 1)
            execv("/proc/self/exe", CommandLine.unsafeArgv)
            // Only on failure: run with glibc's defaults rather than not at all.
            let reason = String(cString: strerror(errno))
            unsetenv("GLIBC_TUNABLES")
            return "allocator: re-exec with GLIBC_TUNABLES failed (\(reason)); glibc's defaults apply"
        #else
            return nil
        #endif
    }
}
