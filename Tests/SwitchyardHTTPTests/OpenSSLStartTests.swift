import CCurl
import SwitchyardHTTP
import XCTest

/// OpenSSL starts without its error-string tables (`OpenSSLStart`, before libcurl's and libmongoc's
/// own start, which ask for them): ~1.1 M instructions off every cold start that uses either.
final class OpenSSLStartTests: XCTestCase {
    func testLibcurlsStartLoadsNoSSLErrorStrings() {
        _ = CurlTransport.globalInit
        // libcurl's own start asks for them (curl_global_init: OPENSSL_init_ssl with the strings).
        XCTAssertEqual(switchyard_openssl_error_strings_loaded(), 0)
    }
}
