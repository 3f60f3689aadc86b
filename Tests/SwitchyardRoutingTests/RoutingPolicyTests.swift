import SwitchyardContract
import SwitchyardRouting
import XCTest

final class RoutingPolicyTests: XCTestCase {
    func testRepositoryPolicyLoadsAndCarriesTheBriefsPrices() throws {
        let policy = RoutingFixtures.policy
        XCTAssertEqual(policy.version, 1)
        let gpt4o = try XCTUnwrap(policy.models.first { $0.id == "gpt-4o" })
        XCTAssertEqual(gpt4o.prices.inputPerMillion, 5_000_000, "$5 per 1M input tokens, as in the brief")
        XCTAssertEqual(gpt4o.prices.outputPerMillion, 20_000_000, "$20 per 1M output tokens, as in the brief")
        let smol = try XCTUnwrap(policy.models.first { $0.id == "smollm2-135m" })
        XCTAssertEqual(smol.provider, .openAICompatible)
        XCTAssertEqual(Set(policy.tiers.keys), ["basic", "pro", "enterprise"])
        XCTAssertTrue(policy.models.contains { $0.provider == .sagemaker && $0.kind == .vision })
        XCTAssertTrue(policy.models.contains { $0.provider == .lambda && $0.kind == .vision })
    }

    private func assertInvalid(
        _ mutate: (inout [String: Any]) -> Void, path expected: String, mentions: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        var json = RoutingFixtures.policyJSON()
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

    private func editModel(_ json: inout [String: Any], _ index: Int, _ edit: (inout [String: Any]) -> Void) {
        var models = json["models"] as! [[String: Any]]
        edit(&models[index])
        json["models"] = models
    }

    func testUnsupportedVersionIsRejectedFirst() {
        assertInvalid({ $0["version"] = 2 }, path: "version", mentions: "not supported")
    }

    func testTypeMismatchNamesTheNestedField() {
        assertInvalid(
            { json in
                self.editModel(&json, 1) { model in
                    var prices = model["prices"] as! [String: Any]
                    prices["input_per_million"] = "two dollars"
                    model["prices"] = prices
                }
            }, path: "models[1].prices.input_per_million", mentions: "expected")
    }

    func testMissingFieldIsNamed() {
        assertInvalid(
            { json in self.editModel(&json, 2) { $0.removeValue(forKey: "latency") } }, path: "models[2]",
            mentions: "latency")
    }

    func testUnknownEnumValueIsNamed() {
        assertInvalid(
            { json in self.editModel(&json, 0) { $0["provider"] = "openia" } }, path: "models[0].provider",
            mentions: "openia")
    }

    func testQualityOutOfRange() {
        assertInvalid(
            { json in
                self.editModel(&json, 0) { model in
                    var quality = model["quality"] as! [String: Any]
                    quality["legal"] = 1.4
                    model["quality"] = quality
                }
            }, path: "models[0].quality.legal", mentions: "outside 0...1")
    }

    func testUnknownCategoryInQuality() {
        assertInvalid(
            { json in
                self.editModel(&json, 0) { model in
                    var quality = model["quality"] as! [String: Any]
                    quality["lgeal"] = 0.9
                    model["quality"] = quality
                }
            }, path: "models[0].quality.lgeal", mentions: "unknown category")
    }

    func testDuplicateModelID() {
        assertInvalid(
            { json in self.editModel(&json, 1) { $0["id"] = "gpt-4o" } }, path: "models[1].id", mentions: "duplicate")
    }

    func testModelNamingUnknownTier() {
        assertInvalid(
            { json in self.editModel(&json, 0) { $0["tiers"] = ["pro", "platinum"] } }, path: "models[0].tiers[1]",
            mentions: "platinum")
    }

    func testNegativePrice() {
        assertInvalid(
            { json in self.editModel(&json, 3) { model in model["prices"] = ["output_per_million": -1] } },
            path: "models[3].prices.output_per_million", mentions: "negative")
    }

    func testP95BelowP50() {
        assertInvalid(
            { json in self.editModel(&json, 4) { model in model["latency"] = ["p50_ms": 900, "p95_ms": 100] } },
            path: "models[4].latency.p95_ms", mentions: "p50")
    }

    func testVisionQAWithoutVisionCapability() {
        assertInvalid(
            { json in self.editModel(&json, 0) { $0["capabilities"] = ["streaming"] } }, path: "models[0].capabilities",
            mentions: "vision")
    }

    func testTierNamingUnknownModel() {
        assertInvalid(
            { json in
                var tiers = json["tiers"] as! [String: Any]
                var pro = tiers["pro"] as! [String: Any]
                pro["models"] = ["gpt-4o", "gpt-5-ultra"]
                tiers["pro"] = pro
                json["tiers"] = tiers
            }, path: "tiers.pro.models[1]", mentions: "gpt-5-ultra")
    }

    func testDowngradeTierNeedsDowngradeModels() {
        assertInvalid(
            { json in
                var tiers = json["tiers"] as! [String: Any]
                var pro = tiers["pro"] as! [String: Any]
                pro.removeValue(forKey: "downgrade_models")
                tiers["pro"] = pro
                json["tiers"] = tiers
            }, path: "tiers.pro.downgrade_models", mentions: "required")
    }

    func testDowngradeModelMustBeAllowedForTier() {
        assertInvalid(
            { json in
                var tiers = json["tiers"] as! [String: Any]
                var pro = tiers["pro"] as! [String: Any]
                pro["downgrade_models"] = ["claude-3-opus"]
                tiers["pro"] = pro
                json["tiers"] = tiers
            }, path: "tiers.pro.downgrade_models[0]", mentions: "not allowed")
    }

    func testTenantWithUnknownTier() {
        assertInvalid(
            { json in
                var tenants = json["tenants"] as! [[String: Any]]
                tenants[2]["tier"] = "gold"
                json["tenants"] = tenants
            }, path: "tenants[2].tier", mentions: "gold")
    }

    func testRuleWithUnknownModelAndExplicitStrategy() {
        assertInvalid(
            { json in
                var rules = json["rules"] as! [[String: Any]]
                rules[1]["then"] = ["models": ["gpt-4o", "nope"]]
                json["rules"] = rules
            }, path: "rules[1].then.models[1]", mentions: "nope")
        assertInvalid(
            { json in
                var rules = json["rules"] as! [[String: Any]]
                rules[0]["then"] = ["strategy": "explicit"]
                json["rules"] = rules
            }, path: "rules[0].then.strategy", mentions: "explicit")
    }

    func testBadEffectiveDateAndEmptyCatalog() {
        assertInvalid({ $0["effective_from"] = "Nov 2026" }, path: "effective_from", mentions: "YYYY-MM-DD")
        assertInvalid({ $0["models"] = [] as [Any] }, path: "models", mentions: "empty")
    }

    func testLLMClassifierNeedsAModel() {
        assertInvalid(
            { json in
                json["classifier"] = ["mode": "llm", "timeout_ms": 500, "confidence_threshold": 0.5]
            }, path: "classifier.model", mentions: "required")
    }

    func testUnreadableFile() {
        XCTAssertThrowsError(try RoutingPolicy.load(path: "/nonexistent/policy.json")) { error in
            XCTAssertEqual((error as? PolicyError)?.errorType, "Router.PolicyUnreadable")
        }
    }

    func testNotJSONAtAll() {
        XCTAssertThrowsError(try RoutingPolicy.parse(Array("{\"version\": 1,".utf8))) { error in
            XCTAssertEqual((error as? PolicyError)?.errorType, "Router.InvalidPolicy")
        }
    }
}

final class RoutingPolicyKeyTests: XCTestCase {
    private func assertUnknown(
        _ mutate: (inout [String: Any]) -> Void, path: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        var json = RoutingFixtures.policyJSON()
        mutate(&json)
        XCTAssertThrowsError(try RoutingPolicy.parse(RoutingFixtures.bytes(json)), file: file, line: line) { error in
            XCTAssertEqual((error as? PolicyError)?.path, path, file: file, line: line)
            XCTAssertTrue(
                (error as? PolicyError)?.errorMessage.contains("unknown field") ?? false, file: file, line: line)
        }
    }

    func testMisspeltFieldsAreNamed() {
        assertUnknown({ $0["rulez"] = [] as [Any] }, path: "rulez")
        assertUnknown(
            { json in
                var defaults = json["defaults"] as! [String: Any]
                defaults["quality_flor"] = 0.5
                json["defaults"] = defaults
            }, path: "defaults.quality_flor")
        assertUnknown(
            { json in
                var models = json["models"] as! [[String: Any]]
                var prices = models[5]["prices"] as! [String: Any]
                prices["output_per_millon"] = 1
                models[5]["prices"] = prices
                json["models"] = models
            }, path: "models[5].prices.output_per_millon")
        assertUnknown(
            { json in
                var tiers = json["tiers"] as! [String: Any]
                var basic = tiers["basic"] as! [String: Any]
                basic["overbudget"] = "reject"
                tiers["basic"] = basic
                json["tiers"] = tiers
            }, path: "tiers.basic.overbudget")
        assertUnknown(
            { json in
                var rules = json["rules"] as! [[String: Any]]
                rules[2]["when"] = ["category": ["legal"]]
                json["rules"] = rules
            }, path: "rules[2].when.category")
    }

    func testMissingTopLevelFieldIsNamed() {
        var json = RoutingFixtures.policyJSON()
        json.removeValue(forKey: "tenants")
        XCTAssertThrowsError(try RoutingPolicy.parse(RoutingFixtures.bytes(json))) { error in
            XCTAssertEqual((error as? PolicyError)?.path, "tenants")
        }
    }
}
