import SwitchyardJSON
import XCTest

@testable import SwitchyardFrontDoor

final class AuthorizerDecisionTests: XCTestCase {
    let arn = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/POST/v1/chat/completions"
    let plans = ["basic": "switchyard-basic-x", "pro": "switchyard-pro-x"]

    func testAllowsTheStageForTheKeysTenantWithTheTiersUsagePlanKey() throws {
        var store = try KeyStore()
        let (key, stored) = try store.create(tenant: "acme", tier: "pro", name: nil, limits: .defaults, now: 1)
        let answer = try AuthorizerDecision.answer(
            AuthorizerEvent(headers: ["authorization": "Bearer \(key.text)"], methodArn: arn), keys: store,
            usagePlanKeys: plans)
        XCTAssertEqual(answer["principalId"]?.stringValue, "acme")
        XCTAssertEqual(answer["usageIdentifierKey"]?.stringValue, "switchyard-pro-x")
        XCTAssertEqual(answer["context"]?["tier"]?.stringValue, "pro")
        XCTAssertEqual(answer["context"]?["keyId"]?.stringValue, stored.id)
        let statement = answer["policyDocument"]?["Statement"]?[0]
        XCTAssertEqual(statement?["Effect"]?.stringValue, "Allow")
        XCTAssertEqual(
            statement?["Resource"]?.stringValue, "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/*/*")
        // TOKEN form.
        let token = try AuthorizerDecision.answer(
            AuthorizerEvent(type: "TOKEN", authorizationToken: "Bearer \(key.text)", methodArn: arn), keys: store,
            usagePlanKeys: plans)
        XCTAssertEqual(token["principalId"]?.stringValue, "acme")
    }

    func testRefusalsAreUnauthorized() throws {
        var store = try KeyStore()
        let (key, stored) = try store.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1)
        let (enterprise, _) = try store.create(tenant: "big", tier: "enterprise", name: nil, limits: .defaults, now: 1)
        let revoked = try store.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1)
        _ = try store.revoke(id: revoked.1.id, now: 2)
        XCTAssertNotNil(stored)
        for header in [
            nil, "Basic abc", "Bearer sk-sy-000000000000_" + String(repeating: "0", count: 64),
            "Bearer " + revoked.0.text,
            "Bearer " + enterprise.text,  // no usage plan for the tier
            "Bearer " + key.text + "x",
        ] {
            let event = AuthorizerEvent(headers: header.map { ["Authorization": $0] } ?? [:], methodArn: arn)
            XCTAssertThrowsError(
                try AuthorizerDecision.answer(event, keys: store, usagePlanKeys: plans), "\(header ?? "-")"
            ) {
                XCTAssertEqual(($0 as? AuthorizerRefusal)?.errorMessage, "Unauthorized")
            }
        }
    }
}
