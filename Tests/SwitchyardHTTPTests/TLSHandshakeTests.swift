import CCurl
import Foundation
import SwitchyardHTTP
import XCTest

/// HTTPS through the libcurl and OpenSSL the functions link, against OpenSSL's own test server
/// (`openssl s_server -www`, whose page names the cipher it negotiated): `OpenSSLStart` leaves out
/// the legacy by-name cipher table, and every cipher family a provider may pick must still
/// negotiate, with the certificate checked.
final class TLSHandshakeTests: XCTestCase {
    private var directory: URL!
    private var certificate: String { directory.appendingPathComponent("cert.pem").path }

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // RSA, so the TLS 1.2 ECDHE-RSA suites are possible; valid for 127.0.0.1 only.
        try run(
            "/usr/bin/openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", directory.appendingPathComponent("key.pem").path,
                "-out", certificate,
            ])
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    func testTheLegacyCipherTableIsLeftEmpty() {
        _ = CurlTransport.globalInit
        // What a plain OPENSSL_init_ssl (libcurl's and libmongoc's own start) would fill.
        XCTAssertEqual(switchyard_openssl_cipher_names_loaded(), 0)
    }

    func testEveryCipherFamilyNegotiatesWithTheCertificateChecked() async throws {
        let cases: [(server: [String], cipher: String)] = [
            ([], "TLS_AES_256_GCM_SHA384"),
            (["-ciphersuites", "TLS_AES_128_GCM_SHA256"], "TLS_AES_128_GCM_SHA256"),
            (["-ciphersuites", "TLS_CHACHA20_POLY1305_SHA256"], "TLS_CHACHA20_POLY1305_SHA256"),
            (["-no_tls1_3", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"], "ECDHE-RSA-AES128-GCM-SHA256"),
            (["-no_tls1_3", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384"], "ECDHE-RSA-AES256-GCM-SHA384"),
            (["-no_tls1_3", "-cipher", "ECDHE-RSA-CHACHA20-POLY1305"], "ECDHE-RSA-CHACHA20-POLY1305"),
            (["-no_tls1_3", "-cipher", "ECDHE-RSA-AES128-SHA256"], "ECDHE-RSA-AES128-SHA256"),
        ]
        let transport = CurlTransport(configuration: .init(caBundlePath: certificate))
        for (arguments, cipher) in cases {
            let server = try TestTLSServer(certificate: certificate, directory: directory, arguments: arguments)
            defer { server.stop() }
            let response = try await transport.send(
                HTTPRequest(url: "https://127.0.0.1:\(server.port)/"), deadline: .now + .seconds(20))
            XCTAssertEqual(response.status, 200, cipher)
            let page = String(decoding: response.body, as: UTF8.self)
            XCTAssertTrue(page.contains("Cipher is \(cipher)"), "\(cipher): \(page.prefix(2000))")
        }
    }

    func testACertificateNoBundleVouchesForIsRefused() async throws {
        let server = try TestTLSServer(certificate: certificate, directory: directory, arguments: [])
        defer { server.stop() }
        // The system bundle does not hold the test's self-signed certificate.
        let transport = CurlTransport(configuration: .init(caBundlePath: CurlTransport.defaultCABundle()))
        do {
            let response = try await transport.send(
                HTTPRequest(url: "https://127.0.0.1:\(server.port)/"), deadline: .now + .seconds(20))
            XCTFail("unverified server answered \(response.status)")
        } catch {
            guard case .connectFailed(let message) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(message.lowercased().contains("certificate"), message)
        }
    }

    private func run(_ executable: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 0, "\(executable) \(arguments)")
    }
}

/// `openssl s_server` on a free loopback port for one connection, stopped by its own pid.
private final class TestTLSServer {
    let process = Process()
    let port: Int

    init(certificate: String, directory: URL, arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments =
            [
                "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-www", "-cert", certificate, "-key",
                directory.appendingPathComponent("key.pem").path,
            ] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        // It prints "ACCEPT 127.0.0.1:PORT" once listening.
        while let line = out.fileHandleForReading.readLine() {
            guard line.hasPrefix("ACCEPT ") else { continue }
            guard let port = line.split(separator: ":").last.flatMap({ Int($0) }) else {
                throw CocoaError(.fileReadCorruptFile)
            }
            self.port = port
            return
        }
        throw CocoaError(.fileReadUnknown)
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
