// libFuzzer target with a planted bug (scripts/fuzz planted): a crash behind an eight-byte match
// that blind random mutation does not reach (one chance in 2^64 per input) and a coverage-guided
// fuzzer reaches in seconds: each matched byte of the tag is a new edge, and compare tracing
// (`-sanitize=fuzzer`'s trace-cmp) offers the 32-bit magic. scripts/fuzz builds it twice, guided
// and blind, and fails unless only the guided build finds the crash: the proof that the build
// flags give Swift code coverage feedback.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPlanted(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 8 else { return 0 }
    // "SWYD", one byte at a time.
    guard data[0] == 0x53 else { return 0 }
    guard data[1] == 0x57 else { return 0 }
    guard data[2] == 0x59 else { return 0 }
    guard data[3] == 0x44 else { return 0 }
    // Then four bytes compared as one little-endian 32-bit integer.
    let magic = UInt32(data[4]) | UInt32(data[5]) << 8 | UInt32(data[6]) << 16 | UInt32(data[7]) << 24
    if magic == 0x5EED_F00D { fatalError("planted bug reached") }
    return 0
}
