// switchyard-server: the OpenAI-compatible front door in one process (see ServerCommand).
#if canImport(Glibc)
    import Glibc
#endif

// First, before any thread allocates: the allocator's settings (a re-exec; see MallocTunables).
if let note = MallocTunables.apply() { fputs(note + "\n", stderr) }
exit(await ServerCommand.run())
