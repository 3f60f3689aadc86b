import Foundation
import Synchronization
import XCTest

@testable import SwitchyardEmulator

final class ChildProcessesTests: XCTestCase {
    private final class Exits: Sendable {
        let statuses = Mutex<[ChildProcesses.ExitStatus]>([])
        func wait(count: Int) async throws -> [ChildProcesses.ExitStatus] {
            for _ in 0..<500 {
                let now = statuses.withLock { $0 }
                if now.count >= count { return now }
                try await Task.sleep(for: .milliseconds(10))
            }
            return statuses.withLock { $0 }
        }
    }

    func testAChildGetsItsOwnGroupOnlyTheGivenEnvironmentAndIsReaped() async throws {
        let fake = try FakeRuntime()
        let out = fake.directory.appendingPathComponent("env").path
        let script = try fake.script("child", "env > \"$OUT\"; pwd >> \"$OUT\"; exit 3")
        let exits = Exits()
        let pid = try await ChildProcesses.shared.spawn(
            path: script, environment: ["OUT": out, "ONLY": "this"], directory: "/tmp"
        ) { status in exits.statuses.withLock { $0.append(status) } }
        let statuses = try await exits.wait(count: 1)
        XCTAssertEqual(statuses, [.exited(3)])
        let written = try String(contentsOfFile: out, encoding: .utf8)
        XCTAssertTrue(written.contains("ONLY=this"), written)
        XCTAssertFalse(written.contains("HOME="), "nothing inherited: \(written)")
        XCTAssertTrue(written.hasSuffix("/tmp\n"), written)
        XCTAssertFalse(ChildProcesses.shared.running.contains(pid))
        XCTAssertEqual(kill(pid, 0), -1, "reaped, not a zombie")
    }

    func testKillingAChildTakesItsWholeGroup() async throws {
        let fake = try FakeRuntime()
        let grandchildFile = fake.directory.appendingPathComponent("grandchild").path
        let script = try fake.script("parent", "sleep 60 & echo $! > \"\(grandchildFile)\"; exec sleep 60")
        let exits = Exits()
        let pid = try await ChildProcesses.shared.spawn(path: script, environment: [:], directory: "/") { status in
            exits.statuses.withLock { $0.append(status) }
        }
        var grandchild: Int32?
        for _ in 0..<300 where grandchild == nil {
            grandchild = (try? String(contentsOfFile: grandchildFile, encoding: .utf8))
                .flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try await Task.sleep(for: .milliseconds(10))
        }
        let other = try XCTUnwrap(grandchild)
        XCTAssertEqual(getpgid(pid), pid, "its own process group")
        XCTAssertEqual(getpgid(other), pid, "the grandchild is in it too")
        XCTAssertNotEqual(getpgid(pid), getpgid(0))
        ChildProcesses.shared.killGroup(pid)
        let statuses = try await exits.wait(count: 1)
        XCTAssertEqual(statuses, [.signaled(SIGKILL)])
        for _ in 0..<200 where kill(other, 0) == 0 { try await Task.sleep(for: .milliseconds(10)) }
        // The grandchild's parent is gone, so whoever reaps orphans collects it; it must not run.
        let state = (try? String(contentsOfFile: "/proc/\(other)/stat", encoding: .utf8))?
            .split(separator: ")").last?.split(separator: " ").first
        XCTAssertTrue(state == nil || state == "Z", "grandchild state \(String(describing: state))")
    }

    func testAProgramThatCannotStartIsATypedError() async throws {
        do {
            _ = try await ChildProcesses.shared.spawn(path: "/nonexistent/bootstrap", environment: [:], directory: "/")
            {
                _ in
            }
            XCTFail("started a missing program")
        } catch let error as ChildProcesses.SpawnError {
            XCTAssertEqual(error.errno, ENOENT)
            XCTAssertTrue(error.description.contains("/nonexistent/bootstrap"))
        }
    }
}
