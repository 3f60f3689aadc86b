import XCTest

@testable import SwitchyardHTTP

/// What is the easy transport's own: its URL parsing and libcurl's header lines. The transport
/// contract's scenarios run over every transport in `HTTPTransportScenarioTests`.
final class CurlTransportTests: XCTestCase {
    func testURLParts() throws {
        let url = try XCTUnwrap(HTTPURL("https://bedrock-runtime.us-east-1.amazonaws.com:443/model/a%3A0/converse?x=1"))
        XCTAssertEqual(url.host, "bedrock-runtime.us-east-1.amazonaws.com")
        XCTAssertEqual(url.hostHeader, "bedrock-runtime.us-east-1.amazonaws.com")
        XCTAssertEqual(url.path, "/model/a%3A0/converse")
        XCTAssertEqual(url.query, "x=1")
        XCTAssertEqual(HTTPURL("http://127.0.0.1:8080")?.hostHeader, "127.0.0.1:8080")
        XCTAssertEqual(HTTPURL("http://127.0.0.1:8080")?.path, "/")
        XCTAssertNil(HTTPURL("ftp://x/"))
        XCTAssertNil(HTTPURL("http://user@host/"))
    }
}

/// Header-block parsing, fed line by line as libcurl's header callback delivers it.
final class CurlTransferHeaderTests: XCTestCase {
    func feed(_ lines: [String], into transfer: CurlTransfer) {
        for line in lines {
            Array(line.utf8).withUnsafeBytes { transfer.receiveHeaderLine($0) }
        }
    }

    func testInterimResponsesAreSkippedAndValuesTrimmed() {
        var heads: [HTTPResponseHead] = []
        let transfer = CurlTransfer(limit: 1 << 20, onHead: { heads.append($0) })
        feed(
            [
                "HTTP/1.1 100 Continue\r\n", "\r\n", "HTTP/1.1 429 Too Many Requests\r\n", "Retry-After:  7 \r\n",
                "X-Empty:\r\n", "content-type: application/json\r\n", "\r\n",
            ], into: transfer)
        XCTAssertEqual(heads.count, 1)
        XCTAssertEqual(heads.first?.status, 429)
        XCTAssertEqual(heads.first?.headers["retry-after"], "7")
        XCTAssertEqual(heads.first?.headers["x-empty"], "")
        XCTAssertEqual(heads.first?.headers["Content-Type"], "application/json")
    }

    func testStatusLineForms() {
        for (line, code) in [
            ("HTTP/2 200", 200), ("HTTP/1.1 503 Service Unavailable", 503), ("HTTP/1.0 20", 0), ("HTTP/1.1 abc", 0),
        ] {
            let transfer = CurlTransfer(limit: 1)
            feed([line + "\r\n"], into: transfer)
            XCTAssertEqual(transfer.status, code, line)
        }
    }
}
