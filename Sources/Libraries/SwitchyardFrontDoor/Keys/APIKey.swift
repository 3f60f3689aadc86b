import SwitchyardAWS
import SwitchyardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An API key as the client holds it: `sk-sy-<id>_<secret>`, where `id` is 12 lowercase hex
/// digits (public: listed, logged, revoked by) and `secret` 64 hex digits (256 random bits from
/// the kernel). Only the SHA-256 of the whole key is stored; the key is shown once, at creation.
public struct APIKey: Sendable, Equatable {
    public let id: String
    public let text: String

    public static let prefix = "sk-sy-"
    public static let idDigits = 12
    static let secretDigits = 64

    /// A new key from the kernel's random source.
    /// - Throws: `FrontDoor.Internal` when `getrandom` fails.
    public static func generate() throws(FrontDoorError) -> APIKey {
        let bytes = try randomBytes(idDigits / 2 + secretDigits / 2)
        let hex = Self.hex(bytes)
        let id = String(hex.prefix(idDigits))
        return APIKey(id: id, text: prefix + id + "_" + String(hex.dropFirst(idDigits)))
    }

    /// The id of a presented key, or nil when it does not have our shape (checked on lengths and
    /// digits only; no secret-dependent branch beyond the format).
    public static func id(of presented: String) -> String? {
        var presented = presented
        return presented.withUTF8 { bytes in id(ofUTF8: bytes) }
    }

    /// `prefix` as bytes, made once (the key check runs on every request).
    private static let prefixUTF8 = Array(prefix.utf8)

    private static func id(ofUTF8 bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let p = prefixUTF8
        guard bytes.count == p.count + idDigits + 1 + secretDigits, bytes.starts(with: p),
            bytes[p.count + idDigits] == UInt8(ascii: "_")
        else { return nil }
        let isHex: (UInt8) -> Bool = { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        guard bytes[p.count...].enumerated().allSatisfy({ $0.offset == idDigits || isHex($0.element) }) else {
            return nil
        }
        return String(decoding: bytes[p.count..<(p.count + idDigits)], as: UTF8.self)
    }

    /// SHA-256 of the key's bytes, as stored.
    public static func hash(_ text: String) -> [UInt8] { Digest.sha256(text) }

    /// Equality whose time depends only on the lengths, never on where the bytes differ.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    /// Lowercase hex digits, written straight into the string's storage (no digit table or byte
    /// array per call: request ids are made with it on every request).
    public static func hex(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            func digit(_ v: UInt8) -> UInt8 { v < 10 ? UInt8(ascii: "0") + v : UInt8(ascii: "a") - 10 + v }
            for (i, b) in bytes.enumerated() {
                out[2 * i] = digit(b >> 4)
                out[2 * i + 1] = digit(b & 0xF)
            }
            return bytes.count * 2
        }
    }

    /// Bytes of a hex string; nil for odd lengths or other characters.
    public static func bytes(hex: String) -> [UInt8]? {
        let text = Array(hex.utf8)
        guard text.count % 2 == 0 else { return nil }
        func value(_ c: UInt8) -> UInt8? {
            switch c {
            case 0x30...0x39: c - 0x30
            case 0x61...0x66: c - 0x61 + 10
            case 0x41...0x46: c - 0x41 + 10
            default: nil
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(text.count / 2)
        var i = 0
        while i < text.count {
            guard let high = value(text[i]), let low = value(text[i + 1]) else { return nil }
            out.append(high << 4 | low)
            i += 2
        }
        return out
    }

    /// `/dev/urandom`, opened once for the process: every request id reads it, and an open and a
    /// close per read were two of the request's system calls (docs/frontdoor.md). -1: it could not
    /// be opened then; `randomBytes` opens it per call instead (and says why it fails).
    private static let urandom: Int32 = open("/dev/urandom", O_RDONLY | O_CLOEXEC)

    /// Bytes from the kernel's random source (`/dev/urandom`, which never blocks once seeded).
    static func randomBytes(_ count: Int) throws(FrontDoorError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let shared = urandom
        let fd = shared >= 0 ? shared : open("/dev/urandom", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .internalError("cannot open /dev/urandom (errno \(errno))") }
        defer { if fd != shared { close(fd) } }
        var filled = 0
        while filled < count {
            let n = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .internalError("reading /dev/urandom failed (errno \(errno))")
            }
            guard n > 0 else { throw .internalError("/dev/urandom ended") }
            filled += n
        }
        return out
    }
}
