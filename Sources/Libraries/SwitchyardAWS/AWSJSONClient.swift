import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON

/// Calls an AWS service that speaks the `awsJson1_1` protocol (Secrets Manager, among others):
/// a signed `POST /` with `X-Amz-Target` naming the operation and a JSON body both ways.
public struct AWSJSONClient: Sendable {
    public let endpoint: String
    public let signer: SigV4Signer
    /// e.g. `secretsmanager`, the prefix of `X-Amz-Target`.
    public let targetPrefix: String
    public let transport: any HTTPTransport

    public init(endpoint: String, signer: SigV4Signer, targetPrefix: String, transport: any HTTPTransport) {
        self.endpoint = endpoint
        self.signer = signer
        self.targetPrefix = targetPrefix
        self.transport = transport
    }

    public func call(_ operation: String, _ input: JSON, deadline: ContinuousClock.Instant) async throws(AWSError)
        -> JSON
    {
        var request = HTTPRequest(
            method: .post, url: endpoint + "/",
            headers: ["Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "\(targetPrefix).\(operation)"],
            body: input.serialized(), maxResponseBytes: 1 << 20
        )
        try signer.sign(&request)
        let response = try await transport.send(request, deadline: deadline, mapError: AWSError.transport)
        let document = try? JSON.parse(response.body)
        guard response.status == 200 else {
            // Error documents carry `__type` ("…#ResourceNotFoundException") and `message`/`Message`.
            let rawType = document?["__type"]?.stringValue ?? document?["code"]?.stringValue ?? "HTTP\(response.status)"
            let code = rawType.split(separator: "#").last.map(String.init) ?? rawType
            let message = document?["message"]?.stringValue ?? document?["Message"]?.stringValue ?? response.bodyText
            throw .service(service: signer.service, status: response.status, code: code, message: message)
        }
        guard let document else { throw .malformedResponse(service: signer.service, detail: "body is not JSON") }
        return document
    }
}
