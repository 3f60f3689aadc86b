/// The Lambda Runtime API (version 2018-06-01) as both of its sides speak it here: the runtime
/// loop in `SwitchyardRuntime` and the local emulator. Paths, header names, limits, the error
/// document and the streaming-mode headers are spelled once, in this module, so the two cannot
/// drift apart.
public enum RuntimeAPI {
    public static let version = "2018-06-01"
    /// `GET`: blocks until the next invocation (no timeout: Lambda freezes the process meanwhile).
    public static let nextPath = "/2018-06-01/runtime/invocation/next"
    /// `POST`: the invocation's response, buffered or streamed.
    public static func responsePath(_ requestID: String) -> String {
        "/2018-06-01/runtime/invocation/\(requestID)/response"
    }
    /// `POST`: the invocation's error document, before any response byte was sent.
    public static func errorPath(_ requestID: String) -> String { "/2018-06-01/runtime/invocation/\(requestID)/error" }
    /// `POST`: an init failure, before the first `/next`.
    public static let initErrorPath = "/2018-06-01/runtime/init/error"

    /// Header names as Lambda spells them. HTTP header names are case-insensitive: compare
    /// them with `RuntimeAPI.Header.matches(_:_:)` (or a case-insensitive map), never with `==`.
    public enum Header {
        public static let requestID = "Lambda-Runtime-Aws-Request-Id"
        /// Wall-clock deadline, milliseconds since the epoch.
        public static let deadline = "Lambda-Runtime-Deadline-Ms"
        public static let functionARN = "Lambda-Runtime-Invoked-Function-Arn"
        /// Exported by the runtime as `_X_AMZN_TRACE_ID`.
        public static let traceID = "Lambda-Runtime-Trace-Id"
        public static let clientContext = "Lambda-Runtime-Client-Context"
        public static let cognitoIdentity = "Lambda-Runtime-Cognito-Identity"
        /// On `/error` and `/init/error` as a header; on a streamed `/response` as a trailer.
        public static let errorType = "Lambda-Runtime-Function-Error-Type"
        /// Trailer of a streamed `/response`: the error document, base64.
        public static let errorBody = "Lambda-Runtime-Function-Error-Body"
        /// `streaming` on a `/response` sent with chunked transfer encoding.
        public static let responseMode = "Lambda-Runtime-Function-Response-Mode"

        /// ASCII case-insensitive comparison of two header names, without allocating.
        public static func matches(_ a: String, _ b: String) -> Bool {
            var x = a.utf8.makeIterator()
            var y = b.utf8.makeIterator()
            while true {
                switch (x.next(), y.next()) {
                case (nil, nil): return true
                case (let p?, let q?):
                    if p != q && lower(p) != lower(q) { return false }
                default: return false
                }
            }
        }

        private static func lower(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }
    }

    /// The value of `Header.responseMode` for a streamed response.
    public static let streamingResponseMode = "streaming"
    /// The `Trailer` header a streamed response declares up front, as HTTP/1.1 requires.
    public static let streamingTrailerDeclaration =
        "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body"

    /// Lambda's buffered response limit (6 MB); beyond it the Runtime API answers 413.
    public static let maximumResponseBytes = 6 * 1024 * 1024
    /// Lambda's limit for a streamed response (200 MB by default since July 2025).
    public static let maximumStreamedResponseBytes = 200 * 1024 * 1024

    /// The calls a runtime makes, as the server side tells them apart.
    public enum Route: Equatable, Sendable {
        case next
        case response(requestID: String)
        case error(requestID: String)
        case initError

        /// The route a request names, or nil for anything else (wrong method, unknown path).
        /// Query strings are ignored; a request id is one non-empty path segment.
        public init?(method: String, path: String) {
            let path = path.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            // "", "2018-06-01", "runtime", ...
            guard parts.count >= 4, parts[0].isEmpty, parts[1] == "2018-06-01", parts[2] == "runtime" else {
                return nil
            }
            switch (method, parts.count) {
            case ("GET", 5) where parts[3] == "invocation" && parts[4] == "next": self = .next
            case ("POST", 5) where parts[3] == "init" && parts[4] == "error": self = .initError
            case ("POST", 6) where parts[3] == "invocation" && !parts[4].isEmpty && parts[5] == "response":
                self = .response(requestID: String(parts[4]))
            case ("POST", 6) where parts[3] == "invocation" && !parts[4].isEmpty && parts[5] == "error":
                self = .error(requestID: String(parts[4]))
            default: return nil
            }
        }
    }
}
