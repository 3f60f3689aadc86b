import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardLLMCallerFunction
import XCTest

/// The llm-caller's configuration: the catalog from the bundle (plus the local overlay), found by
/// `ConfigLocator`, validated at init with typed errors.
final class LLMCallerConfigurationTests: XCTestCase {
    var bundle: URL!

    override func setUpWithError() throws {
        bundle = FileManager.default.temporaryDirectory.appendingPathComponent("llm-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: bundle.appendingPathComponent("local"), withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: bundle) }

    func write(_ name: String, _ text: String) throws {
        try text.write(to: bundle.appendingPathComponent(name), atomically: true, encoding: .utf8)
    }

    func catalog(credential: String? = nil) -> String {
        let key = credential.map { #","credential":"\#($0)""# } ?? ""
        return
            #"{"version":"v1","models":[{"id":"gpt-4o-mini","provider":"openai","kind":"llm","contextWindow":128000,"#
            + #""endpoint":"https://api.openai.com","latency":{"p50Ms":500,"p95Ms":900},"quality":{"chat":0.8},"#
            + #""tiers":["basic"],"capabilities":[]\#(key)}]}"#
    }

    func testCatalogAndOverlayComeFromTheBundle() throws {
        try write("catalog.json", catalog())
        try write("local/catalog-overlay.json", #"{"models":{"gpt-4o-mini":{"endpoint":"http://127.0.0.1:8790"}}}"#)
        let base = try LLMCallerConfiguration(environment: Environment(["SWITCHYARD_BUNDLE_DIR": bundle.path]))
        XCTAssertEqual(base.catalog.model("gpt-4o-mini")?.endpoint, "https://api.openai.com")
        let local = try LLMCallerConfiguration(
            environment: Environment([
                "SWITCHYARD_BUNDLE_DIR": bundle.path, "SWITCHYARD_CATALOG_OVERLAY": "local/catalog-overlay.json",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            ]))
        XCTAssertEqual(local.catalog.model("gpt-4o-mini")?.endpoint, "http://127.0.0.1:8790")
        XCTAssertEqual(local.compute.memoryMB, 512)
    }

    /// The ingress hands over the router's parse of the catalog: used when it is the file this
    /// configuration would read and no overlay rewrites it, else the file is read as usual.
    func testAnAlreadyParsedCatalogIsUsedOnlyWhenItIsTheSameFile() throws {
        try write("catalog.json", catalog())
        try write("local/catalog-overlay.json", #"{"models":{"gpt-4o-mini":{"endpoint":"http://127.0.0.1:8790"}}}"#)
        let path = bundle.path + "/catalog.json"
        // A catalog that differs from the file, so the test can tell which one was used.
        let parsed = try Catalog.parse(Array(catalog(credential: "OTHER_KEY").utf8), source: "router")
        let environment = Environment(["SWITCHYARD_BUNDLE_DIR": bundle.path])
        let shared = try LLMCallerConfiguration(environment: environment, parsed: (path, parsed))
        XCTAssertEqual(shared.catalog.model("gpt-4o-mini")?.credential, "OTHER_KEY")
        // Another file: read from disk.
        let other = try LLMCallerConfiguration(environment: environment, parsed: ("/elsewhere/catalog.json", parsed))
        XCTAssertNil(other.catalog.model("gpt-4o-mini")?.credential)
        // An overlay: the file is read and overlaid, the router's parse is not used.
        let overlaid = try LLMCallerConfiguration(
            environment: Environment([
                "SWITCHYARD_BUNDLE_DIR": bundle.path, "SWITCHYARD_CATALOG_OVERLAY": "local/catalog-overlay.json",
            ]),
            parsed: (path, parsed))
        XCTAssertNil(overlaid.catalog.model("gpt-4o-mini")?.credential)
        XCTAssertEqual(overlaid.catalog.model("gpt-4o-mini")?.endpoint, "http://127.0.0.1:8790")
        // A shared catalog is checked like a read one.
        let bad = try Catalog.parse(Array(catalog(credential: "AWS_SECRET_ACCESS_KEY").utf8), source: "router")
        XCTAssertThrowsError(try LLMCallerConfiguration(environment: environment, parsed: (path, bad)))
    }

    func testBadConfigurationIsATypedInitError() throws {
        try write("catalog.json", catalog())
        func error(_ env: [String: String]) -> String? {
            do {
                _ = try LLMCallerConfiguration(
                    environment: Environment(["SWITCHYARD_BUNDLE_DIR": bundle.path].merging(env) { $1 }))
                return nil
            } catch { return error.errorType }
        }
        XCTAssertEqual(error(["SWITCHYARD_CATALOG_OVERLAY": "local/missing.json"]), "Config.UnreadableFile")
        XCTAssertEqual(error(["AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "99999999999999999999"]), "Config.Invalid")
        XCTAssertEqual(error(["LLM_OPENAI_BASE_URL": "ftp://x"]), "Config.Invalid")
        XCTAssertEqual(
            error(["SWITCHYARD_BUNDLE_DIR": bundle.appendingPathComponent("nowhere").path]), "Config.UnreadableFile")
        try write("local/catalog-overlay.json", #"{"models":{"gpt-9":{"endpoint":"http://x"}}}"#)
        XCTAssertEqual(error(["SWITCHYARD_CATALOG_OVERLAY": "local/catalog-overlay.json"]), "Config.InvalidDocument")
        // No configuration can make the function send its own AWS secret as a provider key.
        try write("catalog.json", catalog(credential: "AWS_SECRET_ACCESS_KEY"))
        XCTAssertEqual(error([:]), "Config.InvalidDocument")
    }
}
