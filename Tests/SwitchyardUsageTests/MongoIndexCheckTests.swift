import Foundation
import SwitchyardJSON
import XCTest

@testable import SwitchyardUsage

/// The first operation of a process checks the indexes (one `listIndexes`) instead of creating them,
/// and creates them only when one is missing or different: a deployment creates them once
/// (`usage-ingest indexes`), and a store nobody prepared still never takes a write without its
/// unique key. Needs `MONGODB_URI`; skipped without it (but the comparison tests).
final class MongoIndexCheckTests: XCTestCase {
    var deadline: ContinuousClock.Instant { .now + .seconds(30) }

    /// A sink on a fresh database of its own, or on `database` to share one (a second process).
    func makeSink(database: String? = nil, ttlDays: Int? = nil) throws -> MongoUsageSink {
        guard let uri = ProcessInfo.processInfo.environment["MONGODB_URI"], !uri.isEmpty else {
            throw XCTSkip("MONGODB_URI not set: start a database with scripts/start-mongo")
        }
        var configuration = MongoUsageConfiguration(uri: uri)
        configuration.database = database ?? "indexes_\(UInt32.random(in: 0...UInt32.max))"
        configuration.rawTTLDays = ttlDays
        return try MongoUsageSink(configuration: configuration)
    }

    /// The raw collection's indexes by name, read through `sink`'s connection.
    func rawIndexes(_ sink: MongoUsageSink) async throws -> [String: JSON] {
        let reply = try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.command(["listIndexes": .string(UsageCollections.raw), "cursor": .object([:])])
        }
        var byName: [String: JSON] = [:]
        for index in reply["cursor"]?["firstBatch"]?.arrayValue ?? [] {
            if let name = index["name"]?.stringValue { byName[name] = index }
        }
        return byName
    }

    func run(_ sink: MongoUsageSink, _ command: JSONObject) async throws {
        _ = try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.command(command)
        }
    }

    func testAFreshStoreGetsEveryIndexOnItsFirstWrite() async throws {
        let sink = try makeSink()
        XCTAssertNil(sink.indexCheck())
        _ = try await sink.write([Fixtures.llm("fresh").pricedForTest()], deadline: deadline)
        XCTAssertEqual(sink.indexCheck(), .created)
        let indexes = try await rawIndexes(sink)
        XCTAssertEqual(indexes["usage_key"]?["unique"]?.boolValue, true)
        for index in MongoUsageSink.rawTimeIndexes { XCTAssertNotNil(indexes[index.name], index.name) }
    }

    func testADeployedStoreIsOnlyChecked() async throws {
        let deploy = try makeSink()
        try await deploy.ensureIndexes(deadline: deadline)
        let function = try makeSink(database: deploy.configuration.database)
        let summary = try await function.write([Fixtures.llm("checked").pricedForTest()], deadline: deadline)
        XCTAssertEqual(summary.inserted, 1)
        XCTAssertEqual(function.indexCheck(), .verified)
    }

    /// The check must not let a write through without the unique key: with `usage_key` dropped the
    /// first write creates it first (and a re-delivery is still one record).
    func testAMissingUniqueIndexIsCreatedBeforeTheFirstWrite() async throws {
        let deploy = try makeSink()
        try await deploy.ensureIndexes(deadline: deadline)
        try await run(deploy, ["dropIndexes": .string(UsageCollections.raw), "index": "usage_key"])
        let dropped = try await rawIndexes(deploy)
        XCTAssertNil(dropped["usage_key"])
        let function = try makeSink(database: deploy.configuration.database)
        let record = Fixtures.llm("unique").pricedForTest()
        _ = try await function.write([record], deadline: deadline)
        XCTAssertEqual(function.indexCheck(), .created)
        let created = try await rawIndexes(deploy)
        XCTAssertEqual(created["usage_key"]?["unique"]?.boolValue, true)
        let again = try await function.write([record], deadline: deadline)
        XCTAssertEqual(again.duplicates, 1)
        XCTAssertEqual(again.inserted, 0)
    }

    /// A `usage_key` that is there but not unique is no key: the check sees the difference, the
    /// create is refused by the server, and nothing is written.
    func testAUniqueKeyThatIsNotUniqueRefusesTheWrite() async throws {
        let deploy = try makeSink()
        try await deploy.ensureIndexes(deadline: deadline)
        try await run(deploy, ["dropIndexes": .string(UsageCollections.raw), "index": "usage_key"])
        try await run(
            deploy,
            [
                "createIndexes": .string(UsageCollections.raw),
                "indexes": .array([
                    .object([
                        "key": .object(["requestId": 1, "step": 1, "invocationId": 1, "attempt": 1]),
                        "name": "usage_key",
                    ])
                ]),
            ])
        let function = try makeSink(database: deploy.configuration.database)
        do {
            _ = try await function.write([Fixtures.llm("not-unique").pricedForTest()], deadline: deadline)
            XCTFail("a write went through without a unique usage key")
        } catch {
            guard case .storeRejected = error else { return XCTFail("\(error)") }
        }
        XCTAssertNil(function.indexCheck())
        let stored = try await deploy.withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.find(UsageCollections.raw, filter: [:])
        }
        XCTAssertEqual(stored.count, 0)
    }

    /// A TTL the configuration asks for and the store lacks is found by the check, and created.
    func testAMissingTTLIsCreated() async throws {
        let deploy = try makeSink()
        try await deploy.ensureIndexes(deadline: deadline)
        let function = try makeSink(database: deploy.configuration.database, ttlDays: 30)
        _ = try await function.write([Fixtures.llm("ttl").pricedForTest()], deadline: deadline)
        XCTAssertEqual(function.indexCheck(), .created)
        let indexes = try await rawIndexes(deploy)
        XCTAssertEqual(indexes["raw_ttl"]?["expireAfterSeconds"]?.int64Value, 30 * 86_400)
    }

    func testIndexComparison() throws {
        let spec: JSON = .object([
            "key": .object(["tenant": 1, "timestamp": .integer(-1)]), "name": "t", "unique": .bool(true),
        ])
        // Listed with doubles and extra fields: the same index.
        XCTAssertTrue(
            MongoUsageSink.sameIndex(
                spec,
                .object([
                    "v": 2, "key": .object(["tenant": .double(1), "timestamp": .double(-1)]), "name": "t",
                    "unique": .bool(true),
                ])))
        // Not unique, another direction, another order, another field, a TTL it should not have.
        for listed: JSON in [
            .object(["key": .object(["tenant": 1, "timestamp": .integer(-1)]), "name": "t"]),
            .object(["key": .object(["tenant": 1, "timestamp": 1]), "name": "t", "unique": .bool(true)]),
            .object(["key": .object(["timestamp": .integer(-1), "tenant": 1]), "name": "t", "unique": .bool(true)]),
            .object(["key": .object(["tenant": 1, "at": .integer(-1)]), "name": "t", "unique": .bool(true)]),
            .object([
                "key": .object(["tenant": 1, "timestamp": .integer(-1)]), "name": "t", "unique": .bool(true),
                "expireAfterSeconds": 60,
            ]),
        ] {
            XCTAssertFalse(MongoUsageSink.sameIndex(spec, listed), "\(listed)")
        }
        // The raw collection's indexes are created last (the check reads only them); no I/O here.
        let sink = try MongoUsageSink(configuration: MongoUsageConfiguration(uri: "mongodb://127.0.0.1:9"))
        XCTAssertEqual(sink.indexSpecifications().last?.collection, UsageCollections.raw)
    }
}
