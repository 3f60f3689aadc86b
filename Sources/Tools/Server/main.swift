// switchyard-server: the OpenAI-compatible front door in one process (see ServerCommand).
#if canImport(Glibc)
    import Glibc
#endif

exit(await ServerCommand.run())
