import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import XCTest

final class ContractCodingTests: XCTestCase {
    func testOpenAIAndAnthropicMessageShapesDecodeToOneModel() throws {
        let json = #"""
            {"requestId":"r1","tenantId":"acme","messages":[
              {"role":"system","content":"be brief"},
              {"role":"user","content":[{"type":"text","text":"what is this?"},
                {"type":"image_url","image_url":{"url":"https://img.example.com/cat.jpg"}},
                {"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}],
             "hints":{"route":"cheapest","model":"gpt-4o-mini","maxCostPicoUSD":5000000},
             "parameters":{"maxTokens":64,"responseFormat":{"type":"json_object"},"toolChoice":"auto"}}
            """#
        let request = try JSON.decode(InferenceRequest.self, from: Array(json.utf8))
        XCTAssertEqual(request.messages.count, 2)
        XCTAssertEqual(request.messages[1].images.count, 2)
        XCTAssertEqual(request.messages[1].images[1], .inline(format: .png, base64: "iVBORw0KGgo="))
        XCTAssertEqual(request.hints?.model, "gpt-4o-mini")
        XCTAssertEqual(request.parameters?.responseFormat, .json)
        XCTAssertEqual(request.allImages.count, 2)
        let again = try JSON.decode(
            InferenceRequest.self, from: try JSON.encode(request))
        XCTAssertEqual(again, request)
    }

    func testAnUnknownPartTypeOrSchemeIsRefused() {
        let part = #"{"requestId":"r","tenantId":"t","messages":[{"role":"user","content":[{"type":"audio"}]}]}"#
        XCTAssertThrowsError(try JSON.decode(InferenceRequest.self, from: Array(part.utf8)))
        let scheme =
            #"{"requestId":"r","tenantId":"t","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"file:///etc/passwd"}}]}]}"#
        XCTAssertThrowsError(try JSON.decode(InferenceRequest.self, from: Array(scheme.utf8)))
    }

    func testMoneyArithmeticFailsTypedInsteadOfTrapping() {
        XCTAssertThrowsError(try PicoUSD(.max).adding(PicoUSD(1))) {
            XCTAssertEqual(($0 as? MoneyError)?.errorType, "Billing.AmountOutOfRange")
        }
        XCTAssertThrowsError(try PicoUSD(Int64.max / 2).multiplied(by: 3))
        XCTAssertThrowsError(try PicoUSD.microUSD(Int64.max / 1000))
        XCTAssertEqual(try PicoUSD.sum([PicoUSD(1), PicoUSD(2)]), PicoUSD(3))
        XCTAssertEqual(PicoUSD(1_500_000).microUSDRounded, 2)
        XCTAssertEqual(PicoUSD(2_500_000).microUSDRounded, 2, "ties to even")
        XCTAssertEqual(PicoUSD(decimal: "0.0000166667"), PicoUSD(16_666_700))
        XCTAssertNil(PicoUSD(decimal: "0.0000000000001"), "more than twelve decimals is refused, not rounded")
    }

    func testIdentifiersRefuseControlCharacters() {
        XCTAssertTrue(Identifier.isValid("req-1:αβ"))
        XCTAssertFalse(Identifier.isValid("a\u{1F}b"))
        XCTAssertFalse(Identifier.isValid("a\nb"))
        XCTAssertFalse(Identifier.isValid("a\u{85}b"))
        XCTAssertFalse(Identifier.isValid(""))
        XCTAssertFalse(Identifier.isValid(String(repeating: "x", count: 257)))
    }

    func testCatalogRejectsBadEntriesAndOverlaysOnlyLocations() throws {
        let model = CatalogModel(
            id: "m1", provider: .openAICompatible, kind: .llm, endpoint: "https://llm.example.com/v1",
            contextWindow: 8192,
            latency: LatencyPrior(p50Ms: 100, p95Ms: 300), quality: ["chat": 0.7], tiers: ["basic"])
        let catalog = try Catalog(version: "v1", models: [model])
        XCTAssertEqual(catalog.model("m1")?.resolvedProviderModel, "m1")
        XCTAssertThrowsError(try Catalog(version: "v1", models: [model, model]))
        var bad = model
        bad.quality = ["chat": 1.5]
        XCTAssertThrowsError(try Catalog(version: "v1", models: [bad]))
        bad = model
        bad.endpoint = "file:///tmp/x"
        XCTAssertThrowsError(try Catalog(version: "v1", models: [bad]))
        let local = try catalog.applying(
            overlay: Array(#"{"models":{"m1":{"endpoint":"http://127.0.0.1:8765/v1"}}}"#.utf8), source: "overlay")
        XCTAssertEqual(local.model("m1")?.endpoint, "http://127.0.0.1:8765/v1")
        XCTAssertThrowsError(
            try catalog.applying(overlay: Array(#"{"models":{"nope":{"endpoint":"http://x"}}}"#.utf8), source: "o"))
    }
}
