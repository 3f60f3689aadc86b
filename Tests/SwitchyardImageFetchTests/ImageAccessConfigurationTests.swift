import Foundation
import SwitchyardContract
import SwitchyardCore
import XCTest

@testable import SwitchyardImageFetch

final class ImageAccessConfigurationTests: XCTestCase {
    func testDeploymentFromEnvironmentAndTenantsFromTheBundle() throws {
        let bundle = FileManager.default.temporaryDirectory.appendingPathComponent("access-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
        try Data(
            #"{"version": "t1", "tenants": {"acme": {"s3": ["s3://acme-images/labelling/"]}, "globex": {}}}"#.utf8
        ).write(to: bundle.appendingPathComponent("image-access.json"))
        let configuration = try ImageAccessConfiguration(
            environment: Environment([
                "SWITCHYARD_BUNDLE_DIR": bundle.path, "IMAGE_ACCESS_S3": "s3://switchyard-uploads/, s3://shared-assets",
            ]))
        XCTAssertEqual(
            configuration.deployment.s3, [S3Prefix(bucket: "switchyard-uploads"), S3Prefix(bucket: "shared-assets")])
        XCTAssertFalse(configuration.deployment.allowHTTP || configuration.deployment.allowPrivateHosts)
        let acme = configuration.policy(tenant: "acme")
        XCTAssertNoThrow(try acme.check(try ImageReference(parsing: "s3://acme-images/labelling/1.jpg")))
        XCTAssertNoThrow(try acme.check(try ImageReference(parsing: "s3://switchyard-uploads/x.jpg")))
        let globex = configuration.policy(tenant: "globex")
        XCTAssertThrowsError(try globex.check(try ImageReference(parsing: "s3://acme-images/labelling/1.jpg")))
        XCTAssertThrowsError(
            try configuration.policy(tenant: "unknown").check(
                try ImageReference(parsing: "s3://acme-images/labelling/1.jpg")))
    }

    func testMalformedSettingsAreConfigurationErrors() throws {
        XCTAssertThrowsError(
            try ImageAccessConfiguration(environment: Environment(["IMAGE_ACCESS_S3": "not a bucket!"]))
        ) {
            XCTAssertEqual(($0 as? ConfigurationError)?.errorType, "Config.Invalid")
        }
        XCTAssertThrowsError(
            try ImageAccessConfiguration(environment: Environment(["IMAGE_ACCESS_FILE": "/nonexistent/access.json"]))
        ) { XCTAssertEqual(($0 as? ConfigurationError)?.errorType, "Config.UnreadableFile") }
        XCTAssertThrowsError(
            try ImageAccessConfiguration.parseTenants(
                Array(#"{"version": "1", "tenants": {"a": {"s3": ["s3://X"]}}}"#.utf8), source: "t")
        ) { XCTAssertEqual(($0 as? ConfigurationError)?.errorType, "Config.InvalidDocument") }
        let empty = Environment(["SWITCHYARD_BUNDLE_DIR": FileManager.default.temporaryDirectory.path])
        XCTAssertEqual(try ImageAccessConfiguration(environment: empty).tenants, [:])
    }

    /// Every shape the file can be wrong in is a typed error naming where; other keys are ignored.
    func testTheTenantsFileIsReadFieldByField() throws {
        func detail(_ text: String) -> String? {
            do {
                _ = try ImageAccessConfiguration.parseTenants(Array(text.utf8), source: "t")
                return nil
            } catch {
                XCTAssertEqual(error.errorType, "Config.InvalidDocument", text)
                return error.errorMessage
            }
        }
        let document =
            #"{"version": "1", "about": "ignored", "#
            + #""tenants": {"b": {"s3": null}, "a": {"s3": ["s3://acme-bucket/y/"]}, "c": {}}}"#
        let good = try ImageAccessConfiguration.parseTenants(Array(document.utf8), source: "t")
        XCTAssertEqual(good, ["a": [try XCTUnwrap(S3Prefix("s3://acme-bucket/y/"))], "b": [], "c": []])
        XCTAssertEqual(detail(#"{"tenants": {}}"#)?.contains(#"missing field "version""#), true)
        XCTAssertEqual(detail(#"{"version": "1"}"#)?.contains(#"missing field "tenants""#), true)
        XCTAssertEqual(detail(#"{"version": 1, "tenants": {}}"#)?.contains("version"), true)
        XCTAssertEqual(detail(#"{"version": "1", "tenants": []}"#)?.contains("tenants"), true)
        XCTAssertEqual(detail(#"{"version": "1", "tenants": {"a": []}}"#)?.contains("a"), true)
        XCTAssertEqual(detail(#"{"version": "1", "tenants": {"a": {"s3": "s3://x/"}}}"#)?.contains("s3"), true)
        XCTAssertEqual(detail(#"{"version": "1", "tenants": {"a": {"s3": [7]}}}"#)?.contains("s3"), true)
        XCTAssertNotNil(detail(#"{"version": "1", "tenants": {"": {"s3": []}}}"#))
        XCTAssertNotNil(detail("[]"))
        XCTAssertNotNil(detail("{"))
    }
}
