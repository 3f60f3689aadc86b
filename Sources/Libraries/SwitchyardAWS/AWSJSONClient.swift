import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON

/// Calls an AWS service that speaks the `awsJson1_0` (SQS) or `awsJson1_1` (Secrets Manager)
/// protocol: a signed `POST /` with `X-Amz-Target` naming the operation and a JSON body both ways.
public struct AWSJSONClient: Sendable {
    public let endpoint: String
    public let signer: SigV4Signer
    /// e.g. `secretsmanager`, the prefix of `X-Amz-Target`.
    public let targetPrefix: String
    public let transport: any HTTPTransport
    /// `1.0` or `1.1`, the protocol version in `Content-Type: application/x-amz-json-<version>`.
    public let jsonVersion: String

    public init(
        endpoint: String, signer: SigV4Signer, targetPrefix: String, transport: any HTTPTransport,
        jsonVersion: String = "1.1"
    ) {
        self.endpoint = endpoint
        self.signer = signer
        self.targetPrefix = targetPrefix
        self.transport = transport
        self.jsonVersion = jsonVersion
    }

    /// - Parameter maxResponseBytes: larger answers fail with `HTTP.ResponseTooLarge`. Default 1 MiB.
    public func call(
        _ operation: String, _ input: JSON, deadline: ContinuousClock.Instant, maxResponseBytes: Int = 1 << 20
    ) async throws(AWSError) -> JSON {
        var request = HTTPRequest(
            method: .post, url: endpoint + "/",
            headers: [
                "Content-Type": "application/x-amz-json-\(jsonVersion)", "X-Amz-Target": "\(targetPrefix).\(operation)",
            ],
            body: input.serialized(), maxResponseBytes: maxResponseBytes
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
