import CCurl
import XCTest

/// The libcurl linked into every function is scripts/build-deps' build: HTTP and HTTPS over
/// OpenSSL with zlib and HTTP/2, and none of the protocols and libraries Debian's general-purpose
/// build brings (LDAP, RTMP, SSH, GSS-API/Kerberos, IDN, PSL, brotli, zstd, FTP, SMTP, ...).
final class CurlBuildTests: XCTestCase {
    // curl_version_info's age argument; CURLVERSION_NOW is a macro Swift cannot import.
    let info = curl_version_info(CURLVERSION_TENTH)!.pointee

    func testSpeaksOnlyHTTPAndHTTPS() {
        var protocols: [String] = []
        var cursor = info.protocols!
        while let name = cursor.pointee {
            protocols.append(String(cString: name))
            cursor += 1
        }
        XCTAssertEqual(protocols.sorted(), ["http", "https"])
    }

    func testHasTLSCompressionAndHTTP2ButNoAuthOrNameLibraries() {
        let features = Int32(info.features)
        for (name, bit) in [("SSL", CURL_VERSION_SSL), ("libz", CURL_VERSION_LIBZ), ("HTTP2", CURL_VERSION_HTTP2)] {
            XCTAssertNotEqual(features & bit, 0, "\(name) missing")
        }
        let absent: [(String, Int32)] = [
            ("GSS-API", CURL_VERSION_GSSAPI), ("Kerberos", CURL_VERSION_KERBEROS5), ("SPNEGO", CURL_VERSION_SPNEGO),
            ("IDN", CURL_VERSION_IDN), ("PSL", CURL_VERSION_PSL), ("NTLM", CURL_VERSION_NTLM),
            ("brotli", CURL_VERSION_BROTLI), ("zstd", CURL_VERSION_ZSTD), ("HTTP/3", CURL_VERSION_HTTP3),
            ("GSASL", CURL_VERSION_GSASL),
        ]
        for (name, bit) in absent { XCTAssertEqual(features & bit, 0, "\(name) is compiled in") }
        XCTAssertTrue(String(cString: info.ssl_version).hasPrefix("OpenSSL/3"), String(cString: info.ssl_version))
        XCTAssertNil(info.libssh_version, "an SSH library is linked")
        XCTAssertNil(info.libidn, "libidn2 is linked")
        XCTAssertNil(info.brotli_version)
        XCTAssertNil(info.zstd_version)
        XCTAssertNotNil(info.nghttp2_version)
    }
}
