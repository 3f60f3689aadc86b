import SwitchyardContract
import XCTest

@testable import SwitchyardRouting

/// The "quality … < floor …" sentences are made when a decision first needs them, not when the
/// bundle loads, and read exactly as formatting the two numbers does.
final class BelowFloorTextsTests: XCTestCase {
    func testNoTextIsMadeWhenTheBundleLoads() {
        let table = RoutingTable(bundle: RoutingFixtures.bundle)
        XCTAssertEqual(table.belowFloorTexts.rowsMade, 0)
    }

    func testOneRowPerFloorAndCategory() throws {
        let table = RoutingTable(bundle: RoutingFixtures.bundle)
        let floor = RoutingFixtures.policy.defaults.qualityFloor.easy
        let mistral = try XCTUnwrap(table.modelIndex[ModelID("bedrock-mistral-7b")])
        let smollm = try XCTUnwrap(table.modelIndex[ModelID("smollm2-135m")])
        let chat = table.quality(model: mistral, category: .chat)
        XCTAssertEqual(
            table.belowFloorTexts.text(quality: chat, floor: floor, model: mistral, category: .chat),
            "quality \(chat) < floor \(floor)")
        XCTAssertEqual(table.belowFloorTexts.rowsMade, 1)
        let small = table.quality(model: smollm, category: .chat)
        XCTAssertEqual(
            table.belowFloorTexts.text(quality: small, floor: floor, model: smollm, category: .chat),
            "quality \(small) < floor \(floor)")
        XCTAssertEqual(table.belowFloorTexts.rowsMade, 1, "the row made for the first model serves the second")
        _ = table.belowFloorTexts.text(quality: small, floor: floor, model: smollm, category: .code)
        XCTAssertEqual(table.belowFloorTexts.rowsMade, 2)
    }

    /// A floor the policy cannot set (none of its defaults or rules) is formatted, never kept.
    func testAFloorFromElsewhereIsFormattedAndNotKept() throws {
        let table = RoutingTable(bundle: RoutingFixtures.bundle)
        let mistral = try XCTUnwrap(table.modelIndex[ModelID("bedrock-mistral-7b")])
        XCTAssertEqual(
            table.belowFloorTexts.text(quality: 0.66, floor: 0.987654, model: mistral, category: .chat),
            "quality 0.66 < floor 0.987654")
        XCTAssertEqual(table.belowFloorTexts.rowsMade, 0)
    }

    /// Every policy floor, model and category, against the sentence formatted on the spot.
    func testEveryTextReadsAsFormatted() {
        let table = RoutingTable(bundle: RoutingFixtures.bundle)
        let policy = RoutingFixtures.policy
        let floors = Set(
            [policy.defaults.qualityFloor.easy, policy.defaults.qualityFloor.medium, policy.defaults.qualityFloor.hard]
                + policy.rules.compactMap(\.then.qualityFloor))
        XCTAssertGreaterThan(floors.count, 1)
        for floor in floors {
            for model in table.models.indices {
                for category in TaskCategory.allCases {
                    let quality = table.quality(model: model, category: category)
                    XCTAssertEqual(
                        table.belowFloorTexts.text(quality: quality, floor: floor, model: model, category: category),
                        quality >= 0 ? "quality \(quality) < floor \(floor)" : "")
                }
            }
        }
        XCTAssertEqual(table.belowFloorTexts.rowsMade, floors.count * TaskCategory.count)
    }
}
