import SwitchyardJSON

/// One invocation as `/next` delivers it.
public struct Invocation: Sendable {
    public var requestID: String
    public var deadlineMilliseconds: Int64
    public var invokedFunctionARN: String
    public var traceID: String?
    public var clientContext: String?
    public var cognitoIdentity: String?
    public var event: [UInt8]

    public init(
        requestID: String, deadlineMilliseconds: Int64, invokedFunctionARN: String, traceID: String? = nil,
        clientContext: String? = nil, cognitoIdentity: String? = nil, event: [UInt8]
    ) {
        self.requestID = requestID
        self.deadlineMilliseconds = deadlineMilliseconds
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.event = event
    }
}

/// The error document the Runtime API expects on `/error` and `/init/error`.
public struct ErrorReport: Error, Sendable, Equatable {
    public var errorType: String
    public var errorMessage: String

    public init(errorType: String, errorMessage: String) {
        self.errorType = errorType
        self.errorMessage = errorMessage
    }

    /// `{"errorMessage":…,"errorType":…,"stackTrace":[]}`.
    public var body: [UInt8] {
        let document: JSON = ["errorMessage": .string(errorMessage), "errorType": .string(errorType), "stackTrace": []]
        return document.serialized()
    }
}

/// The four calls a runtime makes. The loop is generic over this so tests can drive it
/// without a socket, and so the transport can be swapped after measuring.
public protocol RuntimeAPIClient: Sendable {
    /// Blocks until the next invocation arrives (no timeout: Lambda freezes the process meanwhile).
    mutating func next() throws(RuntimeAPIError) -> Invocation
    mutating func respond(requestID: String, body: [UInt8]) throws(RuntimeAPIError)
    mutating func reportError(requestID: String, _ error: ErrorReport) throws(RuntimeAPIError)
    mutating func reportInitError(_ error: ErrorReport) throws(RuntimeAPIError)
}

/// Failures talking to the Runtime API itself. These end the process: Lambda then starts a new
/// execution environment, which is the only recovery there is.
public enum RuntimeAPIError: Error, Equatable, CustomStringConvertible {
    case invalidEndpoint(String)
    case connectFailed(String)
    case connectionClosed
    case io(String)
    case malformedResponse(String)
    case missingHeader(String)
    case unexpectedStatus(Int, String)
    /// The Runtime API refused the payload (HTTP 413).
    case payloadTooLarge

    public var description: String {
        switch self {
        case .invalidEndpoint(let e): "invalid AWS_LAMBDA_RUNTIME_API \"\(e)\""
        case .connectFailed(let why): "cannot connect to the Runtime API: \(why)"
        case .connectionClosed: "the Runtime API closed the connection"
        case .io(let why): "Runtime API I/O error: \(why)"
        case .malformedResponse(let why): "malformed Runtime API response: \(why)"
        case .missingHeader(let name): "Runtime API response lacks \(name)"
        case .unexpectedStatus(let status, let body): "Runtime API answered \(status): \(body.prefix(200))"
        case .payloadTooLarge: "the Runtime API refused the payload as too large (413)"
        }
    }
}

/// Paths and header names of the Runtime API (2018-06-01).
public enum RuntimeAPI {
    public static let nextPath = "/2018-06-01/runtime/invocation/next"
    public static func responsePath(_ requestID: String) -> String {
        "/2018-06-01/runtime/invocation/\(requestID)/response"
    }
    public static func errorPath(_ requestID: String) -> String { "/2018-06-01/runtime/invocation/\(requestID)/error" }
    public static let initErrorPath = "/2018-06-01/runtime/init/error"

    public enum Header {
        public static let requestID = "lambda-runtime-aws-request-id"
        public static let deadline = "lambda-runtime-deadline-ms"
        public static let functionARN = "lambda-runtime-invoked-function-arn"
        public static let traceID = "lambda-runtime-trace-id"
        public static let clientContext = "lambda-runtime-client-context"
        public static let cognitoIdentity = "lambda-runtime-cognito-identity"
        public static let errorType = "Lambda-Runtime-Function-Error-Type"
    }

    /// Lambda's buffered response limit.
    public static let maximumResponseBytes = 6 * 1024 * 1024
}
