import CCrypto
import SwitchyardHTTP

/// SHA-256 and HMAC-SHA-256 through OpenSSL's libcrypto, the two primitives SigV4 needs (and MD5 for SQS),
/// and the API keys' hash. Each starts OpenSSL the way libcurl's and libmongoc's users do (`OpenSSLStart`)
/// in case it is first: a digest fetched before it would start OpenSSL with its defaults.
public enum Digest {
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { sha256($0) }
    }

    /// SHA-256 of the string's UTF-8, hashed in place (contiguous once `withUTF8` has made it so).
    public static func sha256(_ string: String) -> [UInt8] {
        var string = string
        return string.withUTF8 { sha256(UnsafeRawBufferPointer($0)) }
    }

    private static func sha256(_ input: UnsafeRawBufferPointer) -> [UInt8] {
        _ = OpenSSLStart.once
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBufferPointer { switchyard_sha256(input.baseAddress, input.count, $0.baseAddress) }
        return out
    }

    public static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        _ = OpenSSLStart.once
        var out = [UInt8](repeating: 0, count: 32)
        key.withUnsafeBytes { k in
            data.withUnsafeBytes { d in
                out.withUnsafeMutableBufferPointer {
                    _ = switchyard_hmac_sha256(k.baseAddress, k.count, d.baseAddress, d.count, $0.baseAddress)
                }
            }
        }
        return out
    }

    public static func hmacSHA256(key: [UInt8], string: String) -> [UInt8] {
        hmacSHA256(key: key, data: Array(string.utf8))
    }

    /// MD5, for SQS's `MD5OfBody` transfer check only (never for security).
    public static func md5(_ bytes: [UInt8]) -> [UInt8] {
        _ = OpenSSLStart.once
        var out = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { _ = switchyard_md5(input.baseAddress, input.count, $0.baseAddress) }
        }
        return out
    }

    /// Lowercase hexadecimal, as SigV4 writes hashes and signatures.
    public static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
