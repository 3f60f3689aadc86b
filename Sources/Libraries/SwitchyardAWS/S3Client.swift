import SwitchyardCore
import SwitchyardHTTP

/// Reads objects from S3 with SigV4 (GetObject, path-style addressing, which also serves local
/// S3 emulators), with a byte cap so an object cannot exhaust a small function's memory.
public struct S3Client: Sendable {
    /// `https://s3.<region>.amazonaws.com`, or an override such as a local S3.
    public let baseURL: String
    public let signer: SigV4Signer
    public let transport: any HTTPTransport

    public init(baseURL: String, signer: SigV4Signer, transport: any HTTPTransport) {
        self.baseURL = baseURL
        self.signer = signer
        self.transport = transport
    }

    /// The client for the function's region and role: `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`
    /// override the endpoint; credentials come from the execution role's variables.
    /// - Throws: `Config.Missing` without credentials or region.
    public static func fromEnvironment(_ environment: Environment, transport: any HTTPTransport)
        throws(ConfigurationError) -> S3Client
    {
        let region = try AWSEndpoint.region(environment)
        let credentials = try AWSCredentials.fromEnvironment(environment)
        return S3Client(
            baseURL: AWSEndpoint.resolve(serviceID: "S3", hostPrefix: "s3", region: region, environment: environment),
            signer: SigV4Signer(credentials: credentials, region: region, service: "s3"), transport: transport)
    }

    /// The object's URL: `<base>/<bucket>/<key>`, key segments percent-encoded, slashes kept.
    public func objectURL(bucket: String, key: String) -> String {
        "\(baseURL)/\(URIEncoding.encode(bucket))/\(URIEncoding.encode(key, keepingSlash: true))"
    }

    /// GetObject.
    /// - Throws: `AWS.ServiceError` (`NoSuchKey`, `AccessDenied`…), `HTTP.ResponseTooLarge` past
    ///   `maxBytes`, other `HTTP.*` transport errors.
    public func getObject(bucket: String, key: String, maxBytes: Int, deadline: ContinuousClock.Instant)
        async throws(AWSError) -> [UInt8]
    {
        let request = HTTPRequest(method: .get, url: objectURL(bucket: bucket, key: key), maxResponseBytes: maxBytes)
        return try await send(request, deadline: deadline).body
    }

    /// PutObject: the whole object in one request (the ingress's uploads are at most a request body).
    /// - Throws: `AWS.ServiceError` (`AccessDenied`, `NoSuchBucket`…), `HTTP.*` transport errors.
    public func putObject(
        bucket: String, key: String, body: [UInt8], contentType: String, deadline: ContinuousClock.Instant
    ) async throws(AWSError) {
        let request = HTTPRequest(
            method: .put, url: objectURL(bucket: bucket, key: key), headers: ["Content-Type": contentType], body: body,
            maxResponseBytes: 64 << 10)
        _ = try await send(request, deadline: deadline)
    }

    /// Signs and sends one request; anything but 200 is the S3 error it names.
    private func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws(AWSError)
        -> HTTPResponse
    {
        var request = request
        try signer.sign(&request)
        let response: HTTPResponse
        do {
            response = try await transport.send(request, deadline: deadline)
        } catch {
            throw .transport(error)
        }
        guard response.status == 200 else {
            // S3 errors are XML: <Error><Code>NoSuchKey</Code><Message>…</Message></Error>.
            let text = response.bodyText
            throw .service(
                service: "s3", status: response.status,
                code: Self.element("Code", in: text) ?? "HTTP\(response.status)",
                message: Self.element("Message", in: text) ?? "")
        }
        return response
    }

    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.firstRange(ofText: "<\(name)>"), let close = xml.firstRange(ofText: "</\(name)>"),
            open.upperBound <= close.lowerBound
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound].prefix(200))
    }
}
