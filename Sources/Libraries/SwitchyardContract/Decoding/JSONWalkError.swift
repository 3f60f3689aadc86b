/// Why a configuration document does not decode, and where: the bundle's decoders walk `JSON`
/// values directly (`JSONFields`, `JSONRead`) instead of going through `Decodable`, whose generic
/// containers cost Swift's runtime ~9 M instructions at every cold start (docs/packaging.md,
/// sixth pass).
///
/// `description` is the sentence `describeDecodingError` gave for the same failure under the
/// Codable decode, so error texts did not change with the decoder: `path: problem`, `<root>` for
/// an empty path, and a missing field as `path: missing field "name"`.
public struct JSONWalkError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One step into a document.
    public enum Step: Equatable, Sendable {
        /// A field of an object with fixed fields.
        case key(String)
        /// A member of an object keyed by data (tier names, categories). Codable's dictionary key
        /// reads a key that is an integer as an index, so these print as `[n]` too.
        case mapKey(String)
        case index(Int)
    }

    /// Outermost step first; empty at the document's root.
    public var path: [Step]
    /// The field that is absent, for a missing field; nil otherwise.
    public var missingField: String?
    /// What is wrong with the value at `path` (unused for a missing field).
    public var problem: String

    public init(path: [Step] = [], missingField: String? = nil, problem: String = "") {
        self.path = path
        self.missingField = missingField
        self.problem = problem
    }

    /// A value of the wrong kind or out of the type's range, at the current value.
    public static func invalid(_ problem: String) -> JSONWalkError { JSONWalkError(problem: problem) }

    /// The same failure, one step further from the root (callers add their step as the error
    /// passes out, so nothing builds a path while decoding succeeds).
    public func within(_ step: Step) -> JSONWalkError {
        var outer = self
        outer.path.insert(step, at: 0)
        return outer
    }

    /// The path as `describeDecodingError` writes it: `tiers.pro.models[1]`.
    public var renderedPath: String {
        var out = ""
        for step in path {
            switch step {
            case .index(let i): out += "[\(i)]"
            case .mapKey(let key):
                if let i = Int(key) { out += "[\(i)]" } else { out += out.isEmpty ? key : "." + key }
            case .key(let key): out += out.isEmpty ? key : "." + key
            }
        }
        return out
    }

    public var description: String {
        let at = renderedPath
        if let missingField {
            return at.isEmpty ? "missing field \"\(missingField)\"" : "\(at): missing field \"\(missingField)\""
        }
        return "\(at.isEmpty ? "<root>" : at): \(problem)"
    }
}
