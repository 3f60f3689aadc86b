import SwitchyardContract
import SwitchyardJSON

/// The llm-caller's event as it arrives: a valid `LLMStepInput`, or one whose request part is
/// invalid (a bad role, a malformed image reference) but whose `context` is readable — which
/// becomes a failed outcome with `LLM.InvalidRequest`, so the state machine still gets a
/// document to branch on. Only an event without a readable `context` fails to decode
/// (`Runtime.InvalidEvent`).
public enum LLMStepEvent: Decodable, Sendable {
    case valid(LLMStepInput)
    case invalid(context: UsageContext, itemID: String?, detail: String)

    struct Envelope: Decodable {
        struct Item: Decodable { var id: String }
        var context: UsageContext
        var item: Item?
    }

    public init(from decoder: any Decoder) throws {
        do {
            self = .valid(try LLMStepInput(from: decoder))
        } catch {
            let envelope = try Envelope(from: decoder)
            self = .invalid(context: envelope.context, itemID: envelope.item?.id, detail: describeDecodingError(error))
        }
    }
}
