import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP

/// Reads the bytes an `ImageReference` names, for every function that reads images, with the
/// same checks everywhere:
///
/// 1. `ImageAccessPolicy.check` before anything else (scheme, local names, IP literals in every
///    spelling, the S3 allow-list, inline size);
/// 2. for URLs, the host is resolved here and *every* address checked with `policy.permits`;
///    the connection then goes to the checked address (libcurl's `CURLOPT_RESOLVE` through
///    `HTTPRequest.pinnedAddress`), so a second, rebinding DNS answer cannot redirect it;
/// 3. redirects are followed here, at most `maxRedirects`, each target checked as in 1 and 2;
/// 4. S3 objects through a SigV4 GetObject with the function's role;
/// 5. a byte cap (`maxBytes`) and a time limit (`timeout`, within the caller's deadline).
public struct ImageFetcher: Sendable {
    public var transport: any HTTPTransport
    public var resolver: any HostResolver
    /// nil when the function has no AWS credentials: `s3://` then fails with `Image.FetchFailed`.
    public var s3: S3Client?
    /// Largest image, in encoded bytes.
    public var maxBytes: Int
    /// Longest one fetch may take, redirects included.
    public var timeout: Duration
    public var maxRedirects: Int

    public init(
        transport: any HTTPTransport, resolver: any HostResolver = SystemHostResolver(), s3: S3Client?, maxBytes: Int,
        timeout: Duration, maxRedirects: Int = 3
    ) {
        self.transport = transport
        self.resolver = resolver
        self.s3 = s3
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.maxRedirects = maxRedirects
    }

    /// The bytes of `reference`, if `policy` allows reading it.
    /// - Throws: `Image.InvalidReference`, `Image.Forbidden`, `Image.TooLarge`, `Image.FetchFailed`.
    public func fetch(_ reference: ImageReference, policy: ImageAccessPolicy, deadline: ContinuousClock.Instant)
        async throws(ImageFetchError) -> [UInt8]
    {
        do { try policy.check(reference) } catch { throw .reference(error) }
        let limit = min(deadline, ContinuousClock.now.advanced(by: timeout))
        switch reference {
        case .inline(_, let base64):
            let bytes: [UInt8]
            do { bytes = try Base64.decode(base64.utf8) } catch {
                throw .reference(.invalid("the inline image is not valid base64"))
            }
            guard bytes.count <= maxBytes else { throw .tooLarge(source: reference.description, limit: maxBytes) }
            return bytes
        case .url(let url):
            return try await get(url, policy: policy, deadline: limit)
        case .s3(let bucket, let key):
            guard let s3 else {
                throw .fetchFailed(source: reference.description, detail: "no AWS credentials are configured")
            }
            do {
                return try await s3.getObject(bucket: bucket, key: key, maxBytes: maxBytes, deadline: limit)
            } catch {
                if case .transport(.responseTooLarge) = error {
                    throw .tooLarge(source: reference.description, limit: maxBytes)
                }
                throw .fetchFailed(source: reference.description, detail: error.errorMessage)
            }
        }
    }

    private func get(_ first: ImageURL, policy: ImageAccessPolicy, deadline: ContinuousClock.Instant)
        async throws(ImageFetchError) -> [UInt8]
    {
        var url = first
        var hops = 0
        while true {
            let source = ImageReference.url(url).description
            let port = url.port ?? (url.scheme == "https" ? 443 : 80)
            let address = try checkedAddress(host: url.host, port: port, policy: policy)
            let request = HTTPRequest(
                method: .get, url: url.text, maxResponseBytes: maxBytes,
                pinnedAddress: PinnedAddress(host: url.host, port: port, address: address.description))
            let response: HTTPResponse
            do {
                response = try await transport.send(request, deadline: deadline)
            } catch {
                if case .responseTooLarge = error { throw .tooLarge(source: source, limit: maxBytes) }
                throw .fetchFailed(source: source, detail: error.errorMessage)
            }
            switch response.status {
            case 200..<300:
                return response.body
            case 301, 302, 303, 307, 308:
                guard hops < maxRedirects else {
                    throw .fetchFailed(source: source, detail: "more than \(maxRedirects) redirects")
                }
                guard let location = response.headers["location"], !location.isEmpty else {
                    throw .fetchFailed(source: source, detail: "redirect without a Location")
                }
                let next: ImageReference
                do {
                    next = try ImageReference(parsing: Self.absolute(location, base: url))
                    try policy.check(next)
                } catch {
                    throw .reference(error)
                }
                guard case .url(let nextURL) = next else {
                    throw .fetchFailed(source: source, detail: "redirect to a non-URL reference")
                }
                url = nextURL
                hops += 1
            default:
                throw .fetchFailed(source: source, detail: "status \(response.status)")
            }
        }
    }

    /// The address to connect to for `host`: the literal itself, or the first DNS answer, once
    /// every answer has passed `policy.permits`.
    /// - Throws: `Image.Forbidden` naming the first refused address, `Image.FetchFailed` when the
    ///   name does not resolve.
    func checkedAddress(host: String, port: Int, policy: ImageAccessPolicy) throws(ImageFetchError) -> IPAddress {
        let addresses: [IPAddress]
        if let literal = IPAddress(host) {
            addresses = [literal]
        } else {
            addresses = try resolver.resolve(host: host, port: port)
        }
        for address in addresses where !policy.permits(address) {
            throw .forbiddenAddress(host: host, address: address.description)
        }
        guard let first = addresses.first else { throw .fetchFailed(source: host, detail: "the host has no address") }
        return first
    }

    /// A `Location` value as an absolute URL: absolute ones unchanged, `/path` and `//host/path`
    /// against `base`.
    static func absolute(_ location: String, base: ImageURL) -> String {
        if location.hasPrefix("//") { return "\(base.scheme):\(location)" }
        if location.hasPrefix("/") {
            let authority = base.port.map { "\(base.hostForURL):\($0)" } ?? base.hostForURL
            return "\(base.scheme)://\(authority)\(location)"
        }
        return location
    }
}

extension ImageURL {
    /// The host as it goes back into a URL (IPv6 literals in brackets).
    fileprivate var hostForURL: String { host.contains(":") ? "[\(host)]" : host }
}
