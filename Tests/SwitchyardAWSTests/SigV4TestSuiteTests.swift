import SwitchyardAWS
import SwitchyardHTTP
import XCTest

/// Cases from AWS's published Signature Version 4 test suite (aws-sig-v4-test-suite): credentials
/// AKIDEXAMPLE, region us-east-1, service "service", time 2015-08-30T12:36:00Z. Each case gives the
/// request as sent and the expected `Authorization` signature.
final class SigV4TestSuiteTests: XCTestCase {
    static let credentials = AWSCredentials(
        accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let epoch: Int64 = 1_440_938_160  // 20150830T123600Z
    static let token =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

    struct Case {
        var name: String
        var method: HTTPMethod = .get
        var path: String
        var headers: HTTPHeaders = [:]
        var body: String = ""
        var sessionToken: String? = nil
        var signedHeaders: String = "host;x-amz-date"
        var signature: String
    }

    static let cases: [Case] = [
        Case(
            name: "get-vanilla", path: "/",
            signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
        Case(
            name: "get-vanilla-query-order-key", path: "/?Param1=value2&Param1=Value1",
            signature: "eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
        Case(
            name: "get-utf8", path: "/ሴ", signature: "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
        Case(
            name: "get-vanilla-utf8-query", path: "/?ሴ=bar",
            signature: "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
        Case(
            name: "get-space", path: "/example space/",
            signature: "652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
        Case(
            name: "get-header-value-trim", path: "/",
            headers: ["My-Header1": " value1", "My-Header2": " \"a   b   c\""],
            signedHeaders: "host;my-header1;my-header2;x-amz-date",
            signature: "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
        Case(
            name: "post-x-www-form-urlencoded", method: .post, path: "/",
            headers: ["Content-Type": "application/x-www-form-urlencoded"], body: "Param1=value1",
            signedHeaders: "content-type;host;x-amz-date",
            signature: "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
        Case(
            name: "post-sts-header-before", method: .post, path: "/", sessionToken: token,
            signedHeaders: "host;x-amz-date;x-amz-security-token",
            signature: "85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
    ]

    func testPublishedSignatures() throws {
        for c in Self.cases {
            var credentials = Self.credentials
            credentials.sessionToken = c.sessionToken
            let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "service")
            var headers: HTTPHeaders = ["Host": "example.amazonaws.com"]
            for field in c.headers.fields { headers.add(field.name, field.value) }
            var request = HTTPRequest(
                method: c.method, url: "https://example.amazonaws.com" + c.path, headers: headers,
                body: Array(c.body.utf8))
            try signer.sign(&request, epochSeconds: Self.epoch)
            XCTAssertEqual(
                request.headers["Authorization"],
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=\(c.signedHeaders), Signature=\(c.signature)",
                c.name)
            XCTAssertEqual(request.headers["X-Amz-Date"], "20150830T123600Z", c.name)
        }
    }

    /// get-vanilla-query-order-key's canonical request and string to sign, step by step.
    func testCanonicalRequestAndStringToSign() throws {
        let signer = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "service")
        let url = try XCTUnwrap(HTTPURL("https://example.amazonaws.com/?Param1=value2&Param1=Value1"))
        let headers: HTTPHeaders = ["Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"]
        let emptyHash = Digest.hex(Digest.sha256([]))
        XCTAssertEqual(emptyHash, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let canonical = signer.canonicalRequest(method: "GET", url: url, headers: headers, payloadHash: emptyHash)
        XCTAssertEqual(
            canonical.text,
            "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
                + emptyHash)
        XCTAssertEqual(
            signer.stringToSign(
                amzDate: "20150830T123600Z", scope: "20150830/us-east-1/service/aws4_request",
                canonicalRequest: canonical.text),
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89"
        )
    }

    /// Bedrock model ids contain ':' which the URL carries as %3A; non-S3 services sign it encoded again.
    func testNonS3PathIsEncodedTwiceAndS3PathOnce() throws {
        let url = try XCTUnwrap(
            HTTPURL("https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-v2%3A1/converse"))
        let bedrock = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "bedrock")
        XCTAssertTrue(
            bedrock.canonicalRequest(method: "POST", url: url, headers: [:], payloadHash: "x").text
                .hasPrefix("POST\n/model/anthropic.claude-v2%253A1/converse\n"))
        let s3 = SigV4Signer(credentials: Self.credentials, region: "us-east-1", service: "s3")
        XCTAssertTrue(
            s3.canonicalRequest(method: "GET", url: url, headers: [:], payloadHash: "x").text
                .hasPrefix("GET\n/model/anthropic.claude-v2%3A1/converse\n"))
        var request = HTTPRequest(url: "https://bucket.s3.us-east-1.amazonaws.com/key.jpg")
        try s3.sign(&request, epochSeconds: Self.epoch)
        XCTAssertEqual(request.headers["X-Amz-Content-SHA256"], Digest.hex(Digest.sha256([])))
        XCTAssertTrue(request.headers["Authorization"]!.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date,"))
    }

    func testCredentialsNeverPrintTheSecret() {
        let credentials = AWSCredentials(accessKeyID: "AKID", secretAccessKey: "topsecret", sessionToken: "tok")
        XCTAssertFalse("\(credentials)".contains("topsecret"))
        XCTAssertFalse("\(credentials)".contains("tok)"))
    }

    func testHMACKnownAnswer() {
        // RFC 4231 test case 2.
        let mac = Digest.hmacSHA256(key: Array("Jefe".utf8), string: "what do ya want for nothing?")
        XCTAssertEqual(Digest.hex(mac), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }
}
