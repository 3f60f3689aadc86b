import SwitchyardBilling
import SwitchyardContract
import SwitchyardJSON
import XCTest

final class RatesTableTests: XCTestCase {
    func testSeedFileLoadsWithEveryRateKind() throws {
        let table = try RepositoryFiles.seededRates()
        let now = utc(2026, 11, 25)
        for model in ["gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-haiku", "smollm2-135m", "yolov8n"] {
            XCTAssertNotNil(table.model(model, at: now), model)
        }
        XCTAssertEqual(table.lambda(.x86_64, at: now)?.perGBSecond, PicoUSD(16_666_700))
        XCTAssertEqual(table.lambda(.arm64, at: now)?.perGBSecond, PicoUSD(13_333_400))
        XCTAssertEqual(table.expressWorkflow(at: now)?.perMillionRequests, PicoUSD(decimal: "1.00"))
        XCTAssertNotNil(table.fargate(.arm64, at: now))
        XCTAssertEqual(table.endpoint("ml.g4dn.xlarge", at: now)?.perHour, PicoUSD(736_000_000_000))
    }

    func testBadDocumentsNameTheField() {
        func error(_ text: String) -> RatesError? {
            do {
                _ = try RatesTable(bytes: Array(text.utf8))
                return nil
            } catch { return error }
        }
        XCTAssertEqual(error(#"{"models":[]}"#)?.field, "version")
        XCTAssertEqual(
            error(
                #"{"version":"v","models":[{"model":"m","provider":"p","effectiveFrom":"2024-02-30","perImage":"0"}]}"#)?
                .field,
            "models[0].effectiveFrom")
        XCTAssertEqual(
            error(
                #"{"version":"v","models":[{"model":"m","provider":"p","effectiveFrom":"2024-02-01","inputPerMillionTokens":5}]}"#
            )?.field,
            "models[0].inputPerMillionTokens", "numbers are refused: prices must be decimal strings")
        XCTAssertEqual(
            error(#"{"version":"v","models":[{"model":"m","provider":"p","effectiveFrom":"2024-02-01"}]}"#)?.field,
            "models[0]")
        XCTAssertEqual(
            error(#"{"version":"v","lambda":[{"architecture":"sparc","effectiveFrom":"2024-02-01"}]}"#)?.field,
            "lambda[0].architecture")
        XCTAssertEqual(error("{")?.errorType, "Billing.InvalidRates")
    }

    /// The router's policy catalog (`infra/policy.json`) carries model prices for its estimates;
    /// they must be the prices billing uses today, or routing decisions and bills disagree.
    func testPolicyCatalogAgreesWithCurrentRates() throws {
        guard let policyBytes = RepositoryFiles.bytes("infra/policy.json") else {
            throw XCTSkip("infra/policy.json not present")
        }
        let policy = try JSON.parse(policyBytes)
        let table = try RepositoryFiles.seededRates()
        let now = utc(2026, 11, 25)
        let catalog = try XCTUnwrap(PolicyPrices.models(in: policy), "policy.json has no model list")
        var compared = 0
        for entry in catalog {
            guard let rate = entry.candidates.lazy.compactMap({ table.model($0, at: now) }).first else {
                XCTFail(
                    "policy model \(entry.id) (or its provider_model) has no entry in infra/rates.json: its calls would be unpriced"
                )
                continue
            }
            for (name, price) in entry.prices {
                let expected: PicoUSD? =
                    switch name {
                    case "input": rate.inputPerMillionTokens
                    case "cachedInput": rate.cachedInputPerMillionTokens ?? rate.inputPerMillionTokens
                    case "output": rate.outputPerMillionTokens
                    case "image": rate.perImage
                    default: nil
                    }
                guard let expected else { continue }
                XCTAssertEqual(price, expected, "\(entry.id) \(name): policy \(price) vs rates \(expected)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 0, "no prices compared: does policy.json's layout match PolicyPrices?")
    }
}
