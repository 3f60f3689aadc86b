// The C library, imported once for the whole package: every module that imports SwitchyardCore
// sees Glibc (Linux), Musl (static Linux) or Darwin through this file, instead of repeating the
// `#if canImport` preamble in each file that calls into libc.
#if canImport(Glibc)
    @_exported import Glibc
#elseif canImport(Musl)
    @_exported import Musl
#elseif canImport(Darwin)
    @_exported import Darwin
#endif
