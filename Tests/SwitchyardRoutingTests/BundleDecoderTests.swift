import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import XCTest

@testable import SwitchyardRouting

/// The bundle's JSON walk (`RoutingPolicy(json:)`, `Catalog(json:source:)`) against the Codable
/// decode it replaced (`CodableBundleReference`): the same outcome, value or error text (path and
/// problem), on the shipped documents and on every edit of them a sweep makes.
final class BundleDecoderTests: XCTestCase {
    typealias Reference = CodableBundleReference

    private static func document(_ path: String) throws -> JSON { try JSON.parse(try FileReader.read(path)) }

    /// The reference's outcome: `ok`, or `describeDecodingError`'s sentence.
    private static func reference<T: Decodable>(_ type: T.Type, _ json: JSON) -> String {
        do {
            _ = try JSON.decode(type, from: json)
            return "ok"
        } catch let error as PolicyError {
            // The policy's own version error.
            guard case .invalid(let path, let problem) = error else { return "\(error)" }
            return "\(path): \(problem)"
        } catch {
            return describeDecodingError(error)
        }
    }

    private static func walked<T>(_ read: (JSON) throws(JSONWalkError) -> T, _ json: JSON) -> String {
        do {
            _ = try read(json)
            return "ok"
        } catch {
            return error.description
        }
    }

    private static func catalogModels(_ json: JSON) throws(JSONWalkError) -> [CatalogModel] {
        let f = try JSONFields(json, keys: Catalog.Field.self)
        _ = try f.required(.version, JSONRead.string)
        return try f.required(.models) { m throws(JSONWalkError) in try JSONRead.array(m, CatalogModel.init(json:)) }
    }

    private static func qualityVersion(_ json: JSON) throws(JSONWalkError) -> QualityVersion? {
        try JSONFields(json, keys: Catalog.Field.self).optional(.qualityVersion, QualityVersion.init(json:))
    }

    // MARK: - The shipped bundle

    func testShippedPolicyDecodesAsCodableDid() throws {
        let json = try Self.document(RoutingFixtures.files.policy)
        let walked = try RoutingPolicy(json: json)
        let reference = try JSON.decode(Reference.Policy.self, from: json)
        XCTAssertEqual(walked.policyID, reference.policyID)
        XCTAssertEqual(walked.defaults.outputTokens, reference.defaults?.outputTokens)
        XCTAssertEqual(walked.defaults.qualityFloor.hard, reference.defaults?.qualityFloor.hard)
        XCTAssertEqual(walked.classifier.learned?.file, reference.classifier?.learned?.file)
        XCTAssertEqual(walked.tiers.mapValues(\.monthlyBudget), reference.tiers.mapValues(\.monthlyBudget))
        XCTAssertEqual(walked.tiers.mapValues(\.downgradeModels), reference.tiers.mapValues(\.downgradeModels))
        XCTAssertEqual(walked.tenants.map(\.monthlyBudget), reference.tenants.map(\.monthlyBudget))
        XCTAssertEqual(walked.rules.map(\.then.maxCost), reference.rules?.map(\.then.maxCost))
        XCTAssertEqual(walked.rules.map(\.when.categories), reference.rules?.map(\.when.categories))
        XCTAssertEqual(walked.retrieval?.rules.map(\.collection), reference.retrieval?.rules.map(\.collection))
        XCTAssertNotNil(walked.retrieval, "the sweep below should reach the retrieval section")
        XCTAssertFalse(walked.rules.isEmpty)
    }

    func testShippedCatalogDecodesAsCodableDid() throws {
        let json = try Self.document(RoutingFixtures.files.catalog)
        let catalog = try Catalog(json: json, source: "catalog.json")
        let reference = try JSON.decode(Reference.CatalogFile.self, from: json)
        XCTAssertEqual(catalog.version, reference.version)
        XCTAssertEqual(catalog.models.map(\.id), reference.models.map(\.id))
        XCTAssertEqual(catalog.models.map(\.quality), reference.models.map(\.quality))
        XCTAssertEqual(catalog.models.map(\.latency.p95Ms), reference.models.map(\.latency.p95Ms))
        XCTAssertEqual(catalog.models.map(\.compute?.memoryMB), reference.models.map(\.compute?.memoryMB))
        XCTAssertEqual(catalog.models.map(\.detector?.classNames), reference.models.map(\.detector?.classNames))
        XCTAssertTrue(catalog.models.contains { $0.compute != nil && $0.detector != nil })
        XCTAssertEqual(
            try RoutingBundle.qualityVersion(in: json, source: "catalog.json")?.fingerprint,
            try JSON.decode(Reference.CatalogHead.self, from: json).qualityVersion?.fingerprint)
    }

    // MARK: - Every edit of the shipped documents fails (or not) as Codable did

    /// Values put in place of each field and array item: each kind of JSON value, numbers out of
    /// `Int`'s range and not whole, and strings no enum, id or amount accepts.
    private static let replacements: [JSON?] = [
        nil, .null, .bool(true), .integer(-1), .integer(5), .double(1.5), .double(1e30), .string(""),
        .string("x"), .string("5.0000000000001"), .string("-1"), .array([]), .array([.string("x")]), .object([:]),
    ]

    func testEveryPolicyEditFailsWithCodablesText() throws {
        let document = try Self.document(RoutingFixtures.files.policy)
        var compared = 0
        var failures = 0
        for edited in Self.edits(of: document, depth: 6) {
            let expected = Self.reference(Reference.Policy.self, edited.json)
            XCTAssertEqual(Self.walked(RoutingPolicy.init(json:), edited.json), expected, edited.what)
            compared += 1
            if expected != "ok" { failures += 1 }
        }
        XCTAssertGreaterThan(compared, 1000)
        XCTAssertGreaterThan(failures, 500, "the sweep should mostly produce invalid policies")
    }

    func testEveryCatalogEditFailsWithCodablesText() throws {
        var document = try Self.document(RoutingFixtures.files.catalog)
        // The first models and one with compute and detector (a detector's fields) keep the sweep short.
        guard case .object(var root) = document, case .array(let models)? = root["models"] else {
            return XCTFail("catalog.json has no models array")
        }
        let detector = try XCTUnwrap(models.first { $0["detector"] != nil && $0["compute"] != nil })
        root["models"] = .array(Array(models.prefix(3)) + [detector])
        document = .object(root)
        var compared = 0
        var failures = 0
        for edited in Self.edits(of: document, depth: 5) {
            let expected = Self.reference(Reference.CatalogFile.self, edited.json)
            XCTAssertEqual(Self.walked(Self.catalogModels, edited.json), expected, edited.what)
            XCTAssertEqual(
                Self.walked(Self.qualityVersion, edited.json), Self.reference(Reference.CatalogHead.self, edited.json),
                edited.what)
            compared += 1
            if expected != "ok" { failures += 1 }
        }
        XCTAssertGreaterThan(compared, 500)
        XCTAssertGreaterThan(failures, 300)
    }

    /// The edits the routing tests make (RoutingBundleTests, LearnedRoutingTests,
    /// RetrievalPlanTests), plus maps keyed by integers, which Codable printed as indexes.
    func testTheRoutingTestsEditsFailWithCodablesText() throws {
        let policy = try Self.document(RoutingFixtures.files.policy)
        let edits: [(String, JSON)] = [
            ("tiers.basic.monthlyBudgetUSD", .integer(5)),
            ("tiers.basic.monthlyBudgetUSD", .string("5.0000000000001")),
            ("tiers.basic.monthlyBudgetUSD", .string("99999999999")),
            ("tenants[2].tier", .string("gold")),
            ("rules[0].then", .object(["strategy": .string("explicit")])),
            ("rules[0].then", .object(["maxCostUSD": .integer(1)])),
            ("classifier", .object(["mode": .string("llm"), "timeout_ms": .integer(500)])),
            (
                "classifier",
                .object([
                    "mode": .string("learned"), "timeout_ms": .integer(500), "confidence_threshold": .double(0.5),
                    "learned": .object(["file": .integer(1)]),
                ])
            ),
            ("defaults.outputTokens", .object(["default": .integer(400), "chat": .double(5e10)])),
            ("defaults.outputTokens", .object(["default": .integer(400), "7": .string("x")])),
            ("defaults.outputTokens", .object(["default": .integer(400), "-3": .null])),
            ("tiers", .object(["12": .object([:])])),
            ("retrieval", .object(["embeddingModel": .integer(3), "rules": .array([])])),
            ("retrieval.rules[0].when", .object(["categories": .array([.string("chat"), .string("poetry")])])),
            ("version", .integer(3)),
            ("version", .string("2")),
        ]
        for (path, value) in edits {
            let edited = try XCTUnwrap(Self.replacing(path: Self.steps(path), in: policy, with: value), path)
            XCTAssertEqual(
                Self.walked(RoutingPolicy.init(json:), edited), Self.reference(Reference.Policy.self, edited), path)
        }
    }

    // MARK: - One list of keys per type

    /// The unknown-field checks are built from the decoders' `Field`s: a field the decoder reads is
    /// a field the check allows. Before, `retrieval.tokensPerSource` was decoded and refused.
    func testAFieldTheDecoderReadsIsAllowed() throws {
        var policy = RoutingFixtures.json(RoutingFixtures.files.policy)
        var retrieval = try XCTUnwrap(policy["retrieval"] as? [String: Any])
        retrieval["tokensPerSource"] = 500
        policy["retrieval"] = retrieval
        XCTAssertEqual(try RoutingPolicy.parse(RoutingFixtures.bytes(policy)).retrieval?.tokensPerSource, 500)

        var catalog = RoutingFixtures.json(RoutingFixtures.files.catalog)
        var models = try XCTUnwrap(catalog["models"] as? [[String: Any]])
        let i = try XCTUnwrap(models.firstIndex { $0["detector"] != nil })
        var detector = try XCTUnwrap(models[i]["detector"] as? [String: Any])
        detector["wireFormat"] = "hosting-sample"
        models[i]["detector"] = detector
        catalog["models"] = models
        let bundle = try RoutingBundle.parse(
            RoutingFixtures.documents(catalog: RoutingFixtures.bytes(catalog)), pricesAt: RoutingFixtures.pricesAt)
        XCTAssertEqual(bundle.catalog.models[i].detector?.wireFormat, "hosting-sample")
    }

    func testAnUnknownFieldIsNamedWithEveryKnownOne() throws {
        var policy = RoutingFixtures.json(RoutingFixtures.files.policy)
        var retrieval = try XCTUnwrap(policy["retrieval"] as? [String: Any])
        retrieval["tokensPerSourc"] = 500
        policy["retrieval"] = retrieval
        XCTAssertThrowsError(try RoutingPolicy.parse(RoutingFixtures.bytes(policy))) { error in
            XCTAssertEqual(
                (error as? PolicyError)?.errorMessage,
                "routing policy field retrieval.tokensPerSourc: unknown field; expected one of description, "
                    + "embeddingModel, passageModel, rules, tokensPerSource, topK")
        }
    }

    // MARK: - Edits

    private enum PathStep {
        case key(String)
        case index(Int)
    }

    private static func steps(_ path: String) -> [PathStep] {
        var out: [PathStep] = []
        for part in path.split(separator: ".") {
            var name = Substring(part)
            var indexes: [Int] = []
            while let open = name.lastIndex(of: "[") {
                indexes.insert(Int(name[name.index(after: open)..<name.index(before: name.endIndex)])!, at: 0)
                name = name[..<open]
            }
            out.append(.key(String(name)))
            out += indexes.map { .index($0) }
        }
        return out
    }

    /// `document` with the value at `path` replaced (nil removes it); nil when the path is not there.
    private static func replacing(path: [PathStep], in document: JSON, with value: JSON?) -> JSON? {
        guard let first = path.first else { return value ?? .null }
        let rest = Array(path.dropFirst())
        switch (first, document) {
        case (.key(let key), .object(var object)):
            guard let child = object[key] else { return nil }
            if rest.isEmpty {
                object[key] = value
            } else {
                guard let replaced = replacing(path: rest, in: child, with: value) else { return nil }
                object[key] = replaced
            }
            return .object(object)
        case (.index(let i), .array(var items)):
            guard items.indices.contains(i) else { return nil }
            if rest.isEmpty {
                if let value { items[i] = value } else { items.remove(at: i) }
            } else {
                guard let replaced = replacing(path: rest, in: items[i], with: value) else { return nil }
                items[i] = replaced
            }
            return .array(items)
        default:
            return nil
        }
    }

    /// Every value of `document` down to `depth`, replaced by each of `replacements` in turn.
    private static func edits(of document: JSON, depth: Int) -> [(what: String, json: JSON)] {
        var paths: [[PathStep]] = []
        func collect(_ json: JSON, _ path: [PathStep]) {
            guard path.count < depth else { return }
            switch json {
            case .object(let object):
                for member in object.members {
                    paths.append(path + [.key(member.key)])
                    collect(member.value, path + [.key(member.key)])
                }
            case .array(let items):
                for (i, item) in items.enumerated() {
                    paths.append(path + [.index(i)])
                    collect(item, path + [.index(i)])
                }
            default:
                break
            }
        }
        collect(document, [])
        var out: [(String, JSON)] = [("root as an array", .array([])), ("root as a string", .string("x"))]
        for path in paths {
            for value in replacements {
                guard let edited = replacing(path: path, in: document, with: value) else { continue }
                out.append(("\(path) := \(value.map { "\($0)" } ?? "removed")", edited))
            }
        }
        return out
    }
}
