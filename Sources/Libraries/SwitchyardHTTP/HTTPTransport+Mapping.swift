extension HTTPTransport {
    /// Sends `request` and turns a transport failure into the caller's own typed error.
    ///
    /// Every client (providers, AWS services, the vision endpoint) sends and then maps
    /// `TransportError` to its vocabulary; this keeps that step in one place so each client
    /// states only its mapping, and a typed `throws` keeps the result exhaustively checked.
    public func send<Failure: Error>(
        _ request: HTTPRequest, deadline: ContinuousClock.Instant, mapError: (TransportError) -> Failure
    ) async throws(Failure) -> HTTPResponse {
        do {
            return try await send(request, deadline: deadline)
        } catch {
            throw mapError(error)
        }
    }

    /// Streams `request` into `receiver`, turning a transport failure into the caller's own error.
    public func stream<Failure: Error>(
        _ request: HTTPRequest, deadline: ContinuousClock.Instant, into receiver: some HTTPStreamReceiver,
        mapError: (TransportError) -> Failure
    ) async throws(Failure) -> HTTPResponseHead {
        do {
            return try await stream(request, deadline: deadline, into: receiver)
        } catch {
            throw mapError(error)
        }
    }
}
