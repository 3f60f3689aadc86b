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

    /// One price source: every model of the catalog (`infra/catalog.json`) has a rate in
    /// `infra/rates.json` (or an explicit "0"), and every compute a catalog model bills for is priced,
    /// so the router's estimates and the logger's bills come from the same table.
    func testEveryCatalogModelHasARate() throws {
        guard let catalogBytes = RepositoryFiles.bytes("infra/catalog.json") else {
            throw XCTSkip("infra/catalog.json not present")
        }
        let catalog = try Catalog.parse(catalogBytes, source: "catalog.json")
        let table = try RepositoryFiles.seededRates()
        let now = utc(2026, 11, 30)
        for model in catalog.models {
            XCTAssertNotNil(
                table.model(model.id.rawValue, at: now), "\(model.id) has no rate: its calls would be unpriced")
            guard let compute = model.compute else { continue }
            switch compute.kind {
            case "lambda": XCTAssertNotNil(table.lambda(.x86_64, at: now), "\(model.id): Lambda compute unpriced")
            case "fargate": XCTAssertNotNil(table.fargate(.x86_64, at: now), "\(model.id): Fargate compute unpriced")
            case "endpoint":
                XCTAssertNotNil(
                    compute.instanceType.flatMap { table.endpoint($0, at: now) }, "\(model.id): endpoint unpriced")
            default: XCTFail("\(model.id): unknown compute kind \(compute.kind)")
            }
        }
        XCTAssertGreaterThan(catalog.models.count, 10)
    }
}
