import SwitchyardAWS
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardVision

/// POSTs to a model endpoint, signing with SigV4 (service `sagemaker`) for a SageMaker endpoint,
/// and maps failures onto `VisionError`: every failure here is the detector's, so the plan's next
/// detector is tried.
public struct EndpointClient: Sendable {
    public var url: String
    public var transport: any HTTPTransport
    /// nil for a local endpoint.
    public var signer: SigV4Signer?
    public var backendName: String
    /// Largest accepted response; an output [1, 84, 8400] as .npy is about 2.8 MB.
    public var maxResponseBytes: Int

    public init(
        url: String, transport: any HTTPTransport, signer: SigV4Signer?, backendName: String,
        maxResponseBytes: Int = 64 << 20
    ) {
        self.url = url
        self.transport = transport
        self.signer = signer
        self.backendName = backendName
        self.maxResponseBytes = maxResponseBytes
    }

    /// The SageMaker runtime URL for `endpointName`:
    /// `https://runtime.sagemaker.<region>.amazonaws.com/endpoints/<name>/invocations`, or under
    /// `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME` / `AWS_ENDPOINT_URL` when set.
    public static func sageMakerURL(endpointName: String, region: String, environment: Environment) -> String {
        let base = AWSEndpoint.resolve(
            serviceID: "SageMaker Runtime", hostPrefix: "runtime.sagemaker", region: region, environment: environment)
        return "\(base)/endpoints/\(URIEncoding.encode(endpointName))/invocations"
    }

    public func post(body: [UInt8], contentType: String, accept: String, deadline: ContinuousClock.Instant)
        async throws(VisionError) -> HTTPResponse
    {
        var request = HTTPRequest(
            method: .post, url: url, headers: ["Content-Type": contentType, "Accept": accept], body: body,
            maxResponseBytes: maxResponseBytes)
        if let signer {
            do { try signer.sign(&request) } catch {
                throw .backendUnavailable(
                    backend: backendName, detail: "cannot sign the request: \(error.errorMessage)")
            }
        }
        let response: HTTPResponse
        do {
            response = try await transport.send(request, deadline: deadline)
        } catch {
            switch error {
            case .responseTooLarge(let limit): throw .badModelOutput("the endpoint's response exceeds \(limit) bytes")
            case .invalidURL: throw .backendUnavailable(backend: backendName, detail: "invalid endpoint URL \(url)")
            default: throw .backendUnavailable(backend: backendName, detail: error.errorMessage)
            }
        }
        switch response.status {
        case 200..<300: return response
        case 429, 500...:
            throw .backendUnavailable(
                backend: backendName, detail: "status \(response.status): \(response.bodyText.prefix(200))")
        default:
            throw .backendRejected(
                backend: backendName, status: response.status, detail: String(response.bodyText.prefix(200)))
        }
    }
}
