/// A model's id in Switchyard's catalog (`gpt-4o`, `claude-3-5-haiku`, `yolov8n-lambda`).
///
/// The catalog id is what routing, rules, tiers, prices and usage records name. It is kept apart
/// from the name a provider knows the model by (`CatalogModel.providerModel`, e.g. a Bedrock model
/// ARN) and from the name a provider reports back in its answer, all the way through: an event
/// names catalog ids only, and each function resolves where a model lives from its own catalog.
public struct ModelID: RawRepresentable, Codable, Sendable, Hashable, Comparable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    public var description: String { rawValue }

    public static func < (lhs: ModelID, rhs: ModelID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// Catalog ids are 1...128 bytes of letters, digits and `.` `_` `-` `:` `/`; anything else in
    /// an event is an input error, never a lookup.
    public var isWellFormed: Bool {
        let bytes = rawValue.utf8
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-")
                || b == UInt8(ascii: ":") || b == UInt8(ascii: "/")
        }
    }
}
