import SwitchyardAWS
import SwitchyardCore
import SwitchyardJSON

/// Where the ingress puts what is too big to travel inside an execution: `s3://bucket/prefix`,
/// inside the deployment's image-access allow-list (the template sets both to the data bucket's
/// `uploads/`, which expires objects after a day).
public struct UploadLocation: Sendable, Equatable {
    public var bucket: String
    /// Ends with `/` (or is empty).
    public var prefix: String

    /// Parses `s3://bucket/prefix/`.
    /// - Throws: `Config.Invalid` naming `variable`.
    public init(parsing text: String, variable: String) throws(ConfigurationError) {
        let rest = text.hasPrefix("s3://") ? text.dropFirst(5) : ""
        let parts = rest.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let bucket = parts.first, (3...63).contains(bucket.count) else {
            throw .invalid(variable: variable, value: String(text.prefix(80)), expected: "s3://bucket/prefix/")
        }
        self.bucket = String(bucket)
        var prefix = parts.count > 1 ? String(parts[1]) : ""
        if !prefix.isEmpty, !prefix.hasSuffix("/") { prefix += "/" }
        self.prefix = prefix
    }
}

/// Moves inline images out of a request body before it becomes an execution's input: Express
/// carries at most 256 KiB per state, so a body above `threshold` has every `data:image/…` string
/// in it (chat `image_url` parts, a detection's `image`, wherever it sits) put to S3 and replaced
/// by its `s3://` reference. Bodies below the threshold pass untouched (no S3 round trip).
/// Anthropic-style `source.data` parts (bare base64, no `data:` prefix) are not moved.
public struct BodyOffload: Sendable {
    public let s3: S3Client
    public let location: UploadLocation
    /// Default ~200 KiB: what is left of the 256 KiB state after the decision and outcomes.
    public let threshold: Int

    public init(s3: S3Client, location: UploadLocation, threshold: Int = 200 << 10) {
        self.s3 = s3
        self.location = location
        self.threshold = threshold
    }

    /// The body with its inline images in S3; unchanged when small, or when it is not JSON (the
    /// front door then answers its 400).
    /// - Throws: `FrontDoor.Unavailable` when an upload fails, `FrontDoor.InvalidRequest` for an
    ///   inline image whose base64 does not decode.
    public func offload(_ body: [UInt8], deadline: ContinuousClock.Instant) async throws(FrontDoorError) -> [UInt8] {
        guard body.count > threshold, var document = try? JSON.parse(body) else { return body }
        var images: [(path: [JSONPathStep], text: String)] = []
        Self.collect(document, path: [], into: &images)
        guard !images.isEmpty else { return body }
        // One folder per request: without randomness every request would share (and overwrite) one.
        let folder = location.prefix + APIKey.hex(try APIKey.randomBytes(12)) + "/"
        for (index, image) in images.enumerated() {
            let (mediaType, bytes) = try Self.decode(image.text)
            let key = folder + String(index) + "." + (mediaType.split(separator: "/").last.map(String.init) ?? "bin")
            do {
                try await s3.putObject(
                    bucket: location.bucket, key: key, body: bytes, contentType: mediaType, deadline: deadline)
            } catch {
                throw .unavailable("the image could not be stored for the pipeline (\(error.errorType))")
            }
            Self.replace(&document, at: image.path[...], with: .string("s3://\(location.bucket)/\(key)"))
        }
        return document.serialized()
    }

    /// Refuses, before anything runs, a body whose answer would run on the state machine (a chat
    /// completion that does not stream, a detection) and that is still larger than an execution's
    /// input after the offload: a 413 rather than a failed execution.
    /// - Throws: `FrontDoor.PayloadTooLarge`.
    public static func checkFitsExecution(_ request: FrontDoorRequest) throws(FrontDoorError) {
        guard request.body.count > StepFunctionsBackend.maximumInputBytes, request.method == "POST",
            request.path.hasSuffix("/chat/completions") || request.path.hasSuffix("/detect")
        else { return }
        if case .bool(true)? = (try? JSON.parse(request.body))?["stream"] { return }
        throw .payloadTooLarge(limit: StepFunctionsBackend.maximumInputBytes)
    }

    enum JSONPathStep: Sendable {
        case member(String)
        case element(Int)
    }

    /// Every `data:image/…` string, depth-first; bounded by the parsed document (linear).
    static func collect(_ value: JSON, path: [JSONPathStep], into found: inout [(path: [JSONPathStep], text: String)]) {
        switch value {
        case .string(let text) where text.hasPrefix("data:image/"):
            found.append((path, text))
        case .array(let elements):
            for (i, element) in elements.enumerated() { collect(element, path: path + [.element(i)], into: &found) }
        case .object(let object):
            for member in object.members { collect(member.value, path: path + [.member(member.key)], into: &found) }
        default: break
        }
    }

    static func replace(_ value: inout JSON, at path: ArraySlice<JSONPathStep>, with new: JSON) {
        guard let step = path.first else {
            value = new
            return
        }
        switch (step, value) {
        case (.element(let i), .array(var elements)) where elements.indices.contains(i):
            replace(&elements[i], at: path.dropFirst(), with: new)
            value = .array(elements)
        case (.member(let key), .object(var object)):
            guard var member = object[key] else { return }
            replace(&member, at: path.dropFirst(), with: new)
            object[key] = member
            value = .object(object)
        default: break
        }
    }

    /// `data:image/png;base64,…` → (`image/png`, bytes).
    static func decode(_ text: String) throws(FrontDoorError) -> (String, [UInt8]) {
        guard let comma = text.firstIndex(of: ","), text[..<comma].hasSuffix(";base64") else {
            throw .invalidRequest(param: "image_url", message: "data URIs must be base64 (data:image/...;base64,...)")
        }
        let mediaType = String(text[text.index(text.startIndex, offsetBy: 5)..<comma].dropLast(7))
        guard let bytes = try? Base64.decode(String(text[text.index(after: comma)...])), !bytes.isEmpty else {
            throw .invalidRequest(param: "image_url", message: "the data URI's base64 does not decode")
        }
        return (mediaType, bytes)
    }
}
