import SwitchyardCore
import XCTest

@testable import SwitchyardUsage

/// The store's write concerns as read from the environment.
final class MongoUsageConfigurationTests: XCTestCase {
    let uri = ["MONGODB_URI": "mongodb://127.0.0.1:27017"]

    func testBillingWritesAreDurableAndRelaxedOnesFastByDefault() throws {
        let configuration = try MongoUsageConfiguration(environment: Environment(uri))
        XCTAssertEqual(configuration.writeConcern, .durable)
        XCTAssertEqual(configuration.relaxedWriteConcern, .fast)
        let chosen = try MongoUsageConfiguration(
            environment: Environment(
                uri.merging(["USAGE_WRITE_CONCERN": "majority", "USAGE_RELAXED_WRITE_CONCERN": "Durable"]) { $1 }))
        XCTAssertEqual(chosen.writeConcern, .majority)
        XCTAssertEqual(chosen.relaxedWriteConcern, .durable)
    }

    /// Rollup steps had a concern of their own, `fast` by default, which lost records from the
    /// rollups in a crash; a deployment still setting it is refused at init, not silently ignored.
    func testTheRetiredRollupWriteConcernIsRefusedByName() {
        for value in ["fast", "durable"] {
            XCTAssertThrowsError(
                try MongoUsageConfiguration(
                    environment: Environment(uri.merging(["USAGE_ROLLUP_WRITE_CONCERN": value]) { $1 }))
            ) { error in
                let error = error as? ConfigurationError
                XCTAssertEqual(error?.errorType, "Config.Invalid")
                let message = error?.errorMessage ?? ""
                XCTAssertTrue(message.contains("USAGE_ROLLUP_WRITE_CONCERN"), message)
                XCTAssertTrue(message.contains("rollup steps are billing writes (USAGE_WRITE_CONCERN)"), message)
            }
        }
        let unknown = Environment(uri.merging(["USAGE_RELAXED_WRITE_CONCERN": "w1"]) { $1 })
        XCTAssertThrowsError(try MongoUsageConfiguration(environment: unknown)) {
            XCTAssertEqual(($0 as? ConfigurationError)?.errorType, "Config.Invalid")
        }
    }
}
