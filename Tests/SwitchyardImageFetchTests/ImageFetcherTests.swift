import Foundation
import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardTestSupport
import XCTest

@testable import SwitchyardImageFetch

final class ImageFetcherTests: XCTestCase {
    /// From when the test runs: XCTest creates every test's instance when the whole run starts.
    var soon: ContinuousClock.Instant { .now.advanced(by: .seconds(30)) }
    let jpeg: [UInt8] = [0xFF, 0xD8, 0xFF, 0xE0] + Array(repeating: 7, count: 100)

    func fetcher(
        _ transport: any HTTPTransport, resolver: any HostResolver = ScriptedResolver([["93.184.216.34"]]),
        s3: S3Client? = nil, maxBytes: Int = 1 << 20
    ) -> ImageFetcher {
        ImageFetcher(transport: transport, resolver: resolver, s3: s3, maxBytes: maxBytes, timeout: .seconds(5))
    }

    func assertFetchError(
        _ expected: String, _ fetcher: ImageFetcher, _ text: String, policy: ImageAccessPolicy = ImageAccessPolicy(),
        file: StaticString = #filePath, line: UInt = #line
    ) async {
        do {
            _ = try await fetcher.fetch(try ImageReference(parsing: text), policy: policy, deadline: soon)
            XCTFail("expected \(expected) for \(text)", file: file, line: line)
        } catch {
            XCTAssertEqual(
                (error as? any FunctionError)?.errorType, expected, "\(text): \(error)", file: file, line: line)
        }
    }

    // MARK: - Every spelling of a local address, before any request

    /// The contract tests' spellings: each is refused by the policy before DNS or a connection.
    func testEverySpellingOfALocalHostIsRefusedWithoutARequest() async throws {
        let transport = RecordingTransport { _ in .success(HTTPResponse(status: 200)) }
        let resolver = ScriptedResolver([["93.184.216.34"]])
        let fetcher = fetcher(transport, resolver: resolver)
        for host in [
            "127.0.0.1", "127.1", "0177.0.0.1", "0x7f.0.0.1", "2130706433", "017700000001", "[::1]",
            "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:a9fe:a9fe]", "169.254.169.254",
            "[fe80::1%25eth0]", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "0.0.0.0", "[::]", "[fd00::1]",
            "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "localhost", "api.localhost", "metadata.google.internal",
        ] {
            await assertFetchError("Image.Forbidden", fetcher, "https://\(host)/cat.jpg")
        }
        XCTAssertEqual(transport.sent.count, 0)
        XCTAssertEqual(resolver.calls, 0)
        await assertFetchError("Image.Forbidden", fetcher, "http://images.example.com/cat.jpg")  // https only
    }

    // MARK: - The resolver path

    /// A public-looking name whose DNS answer is private is refused after resolution, whichever
    /// of its answers is the private one.
    func testNamesResolvingToPrivateAddressesAreRefused() async throws {
        let transport = RecordingTransport { _ in .success(HTTPResponse(status: 200)) }
        for answer in [
            ["127.0.0.1"], ["93.184.216.34", "10.0.0.5"], ["::1"], ["169.254.169.254"], ["::ffff:10.0.0.1"],
        ] {
            await assertFetchError(
                "Image.Forbidden", fetcher(transport, resolver: ScriptedResolver([answer])),
                "https://rebind.example.com/cat.jpg")
        }
        XCTAssertEqual(transport.sent.count, 0)
    }

    /// The system resolver's answers for `localhost` are refused (the name check is bypassed here
    /// to reach the resolver path), and so are its answers for names libc reads as numbers: the
    /// resolver check does not depend on the literal parser knowing every spelling.
    func testSystemResolverAnswersAreChecked() throws {
        let fetcher = fetcher(
            RecordingTransport { _ in .success(HTTPResponse(status: 200)) }, resolver: SystemHostResolver())
        XCTAssertThrowsError(try fetcher.checkedAddress(host: "localhost", port: 443, policy: ImageAccessPolicy())) {
            XCTAssertEqual(($0 as? ImageFetchError)?.errorType, "Image.Forbidden")
        }
        for host in ["localhost", "0x7f.1", "2130706433", "127.000.000.001", "0177.1"] {
            let answers = try SystemHostResolver().resolve(host: host, port: 443)
            XCTAssertFalse(answers.isEmpty, host)
            XCTAssertTrue(answers.allSatisfy { !ImageAccessPolicy().permits($0) }, "\(host) → \(answers)")
        }
        XCTAssertThrowsError(try SystemHostResolver().resolve(host: "no-such-host.invalid", port: 443)) {
            XCTAssertEqual(($0 as? ImageFetchError)?.errorType, "Image.FetchFailed")
        }
    }

    // MARK: - Pinning, against a real server

    /// The connection goes to the address that was checked: a name the system cannot resolve
    /// reaches the local server only through the pinned answer, and the resolver is asked once
    /// even though its later answers point elsewhere (a rebinding DNS server).
    func testConnectionGoesToTheCheckedAddress() async throws {
        let server = try LocalImageServer(body: Data(jpeg))
        defer { server.stop() }
        let resolver = ScriptedResolver([["127.0.0.1"], ["10.255.255.1"], ["10.255.255.1"]])
        let fetcher = fetcher(CurlTransport(), resolver: resolver)
        let local = ImageAccessPolicy(allowHTTP: true, allowPrivateHosts: true)
        let bytes = try await fetcher.fetch(
            try ImageReference(parsing: "http://photos.pinned.test:\(server.port)/cat.jpg"), policy: local,
            deadline: soon)
        XCTAssertEqual(bytes, jpeg)
        XCTAssertEqual(resolver.calls, 1)
        XCTAssertEqual(server.requests, 1)
    }

    /// The other direction: the check sees a public address, a second lookup would say
    /// 127.0.0.1. The request goes to the checked public address (unreachable here) and never to
    /// the local server.
    func testARebindingAnswerCannotReachALocalServer() async throws {
        let server = try LocalImageServer(body: Data(jpeg))
        defer { server.stop() }
        let resolver = ScriptedResolver([["93.184.216.34"], ["127.0.0.1"]])
        let fetcher = ImageFetcher(
            transport: CurlTransport(configuration: .init(connectTimeout: .milliseconds(300))), resolver: resolver,
            s3: nil, maxBytes: 1 << 20, timeout: .milliseconds(800))
        let httpAllowed = ImageAccessPolicy(allowHTTP: true)
        do {
            _ = try await fetcher.fetch(
                try ImageReference(parsing: "http://rebind.pinned.test:\(server.port)/cat.jpg"), policy: httpAllowed,
                deadline: soon)
            XCTFail("reached something")
        } catch {
            XCTAssertEqual((error as? ImageFetchError)?.errorType, "Image.FetchFailed", "\(error)")
        }
        XCTAssertEqual(resolver.calls, 1)
        XCTAssertEqual(server.requests, 0)
    }

    func testPinnedRequestsCarryTheCheckedAddress() async throws {
        let transport = RecordingTransport { _ in .success(HTTPResponse(status: 200, body: [1, 2, 3])) }
        let fetcher = fetcher(transport, resolver: ScriptedResolver([["2606:2800:220:1:248:1893:25c8:1946"]]))
        _ = try await fetcher.fetch(
            try ImageReference(parsing: "https://Images.Example.com/a.jpg"), policy: ImageAccessPolicy(), deadline: soon
        )
        let pin = try XCTUnwrap(transport.sent.first?.pinnedAddress)
        XCTAssertEqual(
            pin, PinnedAddress(host: "images.example.com", port: 443, address: "2606:2800:220:1:248:1893:25c8:1946"))
        XCTAssertEqual(pin.curlResolveEntry, "images.example.com:443:[2606:2800:220:1:248:1893:25c8:1946]")
    }

    // MARK: - Redirects

    func testRedirectsAreCheckedLikeTheFirstURL() async throws {
        let transport = RecordingTransport { request in
            if request.url.contains("first") {
                return .success(
                    HTTPResponse(status: 302, headers: ["Location": "http://169.254.169.254/latest/meta-data"]))
            }
            return .success(HTTPResponse(status: 200, body: [9]))
        }
        await assertFetchError("Image.Forbidden", fetcher(transport), "https://cdn.example.com/first.jpg")
        XCTAssertEqual(transport.sent.count, 1)

        let resolver = ScriptedResolver([["93.184.216.34"], ["10.0.0.9"]])
        let relative = RecordingTransport { request in
            request.url.hasSuffix("/first.jpg")
                ? .success(HTTPResponse(status: 301, headers: ["Location": "/second.jpg"]))
                : .success(HTTPResponse(status: 200, body: [9]))
        }
        // The second hop resolves again and its (private) answer is refused.
        await assertFetchError(
            "Image.Forbidden", fetcher(relative, resolver: resolver), "https://cdn.example.com/first.jpg")
        let followed = RecordingTransport { request in
            request.url.hasSuffix("/first.jpg")
                ? .success(HTTPResponse(status: 307, headers: ["Location": "/second.jpg"]))
                : .success(HTTPResponse(status: 200, body: [9]))
        }
        let bytes = try await fetcher(followed).fetch(
            try ImageReference(parsing: "https://cdn.example.com/first.jpg"), policy: ImageAccessPolicy(),
            deadline: soon)
        XCTAssertEqual(bytes, [9])
        XCTAssertEqual(
            followed.sent.map(\.url), ["https://cdn.example.com/first.jpg", "https://cdn.example.com/second.jpg"])
        let loop = RecordingTransport { _ in .success(HTTPResponse(status: 302, headers: ["Location": "/again.jpg"])) }
        await assertFetchError("Image.FetchFailed", fetcher(loop), "https://cdn.example.com/first.jpg")
        XCTAssertEqual(loop.sent.count, 4)  // the first request and three redirects
    }

    // MARK: - S3

    func testS3IsReadOnlyInsideTheAllowList() async throws {
        let transport = RecordingTransport { _ in .success(HTTPResponse(status: 200, body: [1, 2])) }
        let s3 = S3Client(
            baseURL: "http://127.0.0.1:4566",
            signer: SigV4Signer(
                credentials: AWSCredentials(accessKeyID: "AKID", secretAccessKey: "s"), region: "us-east-1",
                service: "s3"),
            transport: transport)
        let fetcher = fetcher(transport, s3: s3)
        let policy = ImageAccessPolicy(s3: [S3Prefix(bucket: "uploads", prefix: "tenant-a/")])
        await assertFetchError("Image.Forbidden", fetcher, "s3://uploads/tenant-b/cat.jpg", policy: policy)
        await assertFetchError("Image.Forbidden", fetcher, "s3://other/tenant-a/cat.jpg", policy: policy)
        await assertFetchError("Image.Forbidden", fetcher, "s3://uploads/tenant-a/../tenant-b/cat.jpg", policy: policy)
        await assertFetchError("Image.Forbidden", fetcher, "s3://uploads/tenant-a/cat.jpg")  // no allow-list at all
        XCTAssertEqual(transport.sent.count, 0)
        let bytes = try await fetcher.fetch(
            try ImageReference(parsing: "s3://uploads/tenant-a/cat 1.jpg"), policy: policy, deadline: soon)
        XCTAssertEqual(bytes, [1, 2])
        let get = try XCTUnwrap(transport.sent.first)
        XCTAssertEqual(get.url, "http://127.0.0.1:4566/uploads/tenant-a/cat%201.jpg")
        XCTAssertTrue(get.headers["authorization"]?.contains("/us-east-1/s3/aws4_request") ?? false)
        // Without credentials there is no S3 client.
        await assertFetchError(
            "Image.FetchFailed", self.fetcher(transport), "s3://uploads/tenant-a/cat.jpg", policy: policy)
    }

    // MARK: - Caps and redaction

    func testSizeCapsAndFailuresAreTyped() async throws {
        let huge = RecordingTransport { _ in .failure(.responseTooLarge(limit: 100)) }
        await assertFetchError("Image.TooLarge", fetcher(huge, maxBytes: 100), "https://cdn.example.com/huge.jpg")
        let missing = RecordingTransport { _ in .success(HTTPResponse(status: 404)) }
        await assertFetchError("Image.FetchFailed", fetcher(missing), "https://cdn.example.com/missing.jpg")
        let slow = RecordingTransport { _ in .failure(.timeout(milliseconds: 100)) }
        await assertFetchError("Image.FetchFailed", fetcher(slow), "https://cdn.example.com/slow.jpg")
        let inline = Base64.encode([UInt8](repeating: 1, count: 300))
        await assertFetchError("Image.TooLarge", fetcher(missing, maxBytes: 100), inline)
        await assertFetchError(
            "Image.TooLarge", fetcher(missing), inline, policy: ImageAccessPolicy(maxInlineBytes: 100))
        let bytes = try await fetcher(missing).fetch(
            try ImageReference(parsing: "data:image/png;base64,AQID"), policy: ImageAccessPolicy(), deadline: soon)
        XCTAssertEqual(bytes, [1, 2, 3])
    }

    /// A presigned URL's signature never shows up in an error.
    func testPresignedQueryStringsStayOutOfErrors() async throws {
        let denied = RecordingTransport { _ in .success(HTTPResponse(status: 403)) }
        let url =
            "https://bucket.s3.amazonaws.com/cat.jpg?X-Amz-Credential=AKIDSECRET%2F20260101&X-Amz-Signature=deadbeef"
        do {
            _ = try await fetcher(denied).fetch(
                try ImageReference(parsing: url), policy: ImageAccessPolicy(), deadline: soon)
            XCTFail("expected a failure")
        } catch {
            let message = (error as? any FunctionError)?.errorMessage ?? ""
            XCTAssertTrue(message.contains("https://bucket.s3.amazonaws.com/cat.jpg?…"), message)
            XCTAssertFalse(message.contains("deadbeef") || message.contains("AKIDSECRET"), message)
        }
    }
}
