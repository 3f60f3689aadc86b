import Foundation
import NIOPosix
import SwitchyardRuntime
import Synchronization
import XCTest

@testable import SwitchyardEmulator

/// A `bootstrap` that only tells the test its Runtime API address and then waits, so the test
/// itself plays the runtime (with the real `SocketRuntimeAPIClient`) and can misbehave at will.
struct FakeRuntime {
    let directory: URL

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fake-runtime-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    /// Writes an executable shell script and returns its path.
    func script(_ name: String, _ body: String) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    /// A bootstrap that writes `AWS_LAMBDA_RUNTIME_API` to `endpoint-<pid>` and sleeps.
    func waitingBootstrap() throws -> String {
        try script("bootstrap", #"echo "$AWS_LAMBDA_RUNTIME_API" > "$FAKE_DIR/endpoint-$$"; exec sleep 60"#)
    }

    func pool(
        _ bootstrap: String, timeoutSeconds: Double = 3, maxConcurrency: Int = 2, initTimeoutSeconds: Double = 10
    ) -> FunctionPool {
        FunctionPool(
            configuration: FunctionConfiguration(
                name: "fake", bootstrap: bootstrap, timeoutSeconds: timeoutSeconds, maxConcurrency: maxConcurrency,
                initTimeoutSeconds: initTimeoutSeconds, environment: ["FAKE_DIR": directory.path]),
            group: MultiThreadedEventLoopGroup.singleton)
    }

    /// The Runtime API endpoint of the environment with `pid`, once its bootstrap wrote it.
    func endpoint(pid: Int32) async throws -> String {
        let file = directory.appendingPathComponent("endpoint-\(pid)").path
        for _ in 0..<500 {
            if let text = try? String(contentsOfFile: file, encoding: .utf8), text.hasSuffix("\n") {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw XCTSkip("bootstrap \(pid) never wrote its endpoint")
    }

    /// A client for the one environment `pool` started (waits for it).
    func client(of pool: FunctionPool) async throws -> SocketRuntimeAPIClient {
        for _ in 0..<500 {
            if let pid = await pool.pids.first {
                return try SocketRuntimeAPIClient(endpoint: try await endpoint(pid: pid))
            }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("no environment started")
        throw CancellationError()
    }
}

/// Runs a blocking Runtime API call off the cooperative pool.
func blocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}

/// What `body` returns, or a failed test instead of a hung one when it takes longer than `seconds`.
func within<T: Sendable>(
    seconds: Double, file: StaticString = #filePath, line: UInt = #line, _ body: @escaping @Sendable () async -> T
) async throws -> T {
    let result = Mutex<T?>(nil)
    let task = Task {
        let value = await body()
        result.withLock { $0 = value }
    }
    let deadline = ContinuousClock.now.advanced(by: .seconds(seconds))
    while ContinuousClock.now < deadline {
        if let value = result.withLock({ $0 }) { return value }
        try await Task.sleep(for: .milliseconds(5))
    }
    task.cancel()
    XCTFail("no answer within \(seconds) s", file: file, line: line)
    throw CancellationError()
}
