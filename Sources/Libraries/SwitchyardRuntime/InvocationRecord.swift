import SwitchyardCore

/// The runtime's one line per invocation, in CloudWatch Embedded Metric Format: the same JSON
/// object is the invocation's log entry (request id, outcome, error type, durations, memory —
/// Lambda's `REPORT` line, structured) and its metrics (CloudWatch extracts the members named
/// under `_aws.CloudWatchMetrics`, no API call, no agent).
///
/// Written for every invocation whatever the log level, in both log formats (EMF must be JSON),
/// by whoever answered it: the loop, or the watchdog on a timeout. It never holds the event or
/// the response; an error message is redacted and cut to 512 bytes.
///
/// ```json
/// {"_aws":{"Timestamp":1764072000123,"CloudWatchMetrics":[
///    {"Namespace":"Switchyard","Dimensions":[["function"]],"Metrics":[{"Name":"Invocations","Unit":"Count"},…]},
///    {"Namespace":"Switchyard","Dimensions":[["function","errorType"]],
///     "Metrics":[{"Name":"Errors","Unit":"Count"}]}]},
///  "timestamp":"2025-11-25T12:00:00.123Z","level":"ERROR","message":"invocation failed",
///  "requestId":"…","function":"router","outcome":"error","errorType":"Router.BudgetExceeded",
///  "errorMessage":"…","Invocations":1,"Errors":1,"Duration":12.345,"BilledDuration":13,
///  "MemorySize":128,"MaxMemoryUsed":11}
/// ```
/// The second directive (errors by type) is present only on failures; `InitDuration` only on an
/// environment's first invocation, where `BilledDuration` includes it (custom runtimes are
/// billed for init).
struct InvocationRecord {
    enum Outcome: String {
        case success
        /// The function failed (its error, an invalid event, a response too large…).
        case error
        /// `Sandbox.Timedout`, reported by the runtime before the platform deadline.
        case timeout
        /// The caller of a streamed response went away; nothing more was sent.
        case disconnected
    }

    static let namespace = "Switchyard"

    var requestID: String
    var functionName: String
    var traceID: String?
    var outcome: Outcome
    var errorType: String?
    var errorMessage: String?
    var duration: Duration
    var initDuration: Duration?
    var memorySizeMB: Int
    /// Wall-clock milliseconds.
    var timestamp: Int64
    /// Bytes of a streamed response, when the response was streamed.
    var streamedBytes: Int?

    /// Duration rounded up to the next millisecond, init included on a cold start (Lambda's rule
    /// for custom runtimes). An estimate: Lambda measures from its side of the Runtime API.
    var billedDurationMilliseconds: Int64 {
        let total = duration + (initDuration ?? .zero)
        let (seconds, attoseconds) = total.components
        let wholeMilliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return attoseconds % 1_000_000_000_000_000 == 0 ? wholeMilliseconds : wholeMilliseconds + 1
    }

    /// Peak resident memory of the process so far, in MB (rounded up), as Lambda's `Max Memory Used`.
    static func maxMemoryUsedMB() -> Int {
        var usage = rusage()
        #if canImport(Glibc)
            getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
            getrusage(RUSAGE_SELF, &usage)
        #endif
        return (Int(usage.ru_maxrss) + 1023) / 1024  // ru_maxrss is in KiB on Linux
    }

    /// The line, newline included.
    func line(maxMemoryUsedMB: Int = InvocationRecord.maxMemoryUsedMB()) -> [UInt8] {
        let failed = outcome != .success
        var out = JSONLine()
        out.raw("{\"_aws\":{\"Timestamp\":\(timestamp),\"CloudWatchMetrics\":[{\"Namespace\":\"\(Self.namespace)\"")
        out.raw(",\"Dimensions\":[[\"function\"]],\"Metrics\":[")
        out.raw("{\"Name\":\"Invocations\",\"Unit\":\"Count\"},{\"Name\":\"Errors\",\"Unit\":\"Count\"},")
        out.raw(
            "{\"Name\":\"Duration\",\"Unit\":\"Milliseconds\"},{\"Name\":\"BilledDuration\",\"Unit\":\"Milliseconds\"},"
        )
        out.raw("{\"Name\":\"MaxMemoryUsed\",\"Unit\":\"Megabytes\"}")
        if initDuration != nil { out.raw(",{\"Name\":\"InitDuration\",\"Unit\":\"Milliseconds\"}") }
        out.raw("]}")
        if failed {
            out.raw(",{\"Namespace\":\"\(Self.namespace)\",\"Dimensions\":[[\"function\",\"errorType\"]],")
            out.raw("\"Metrics\":[{\"Name\":\"Errors\",\"Unit\":\"Count\"}]}")
        }
        out.raw("]},\"timestamp\":\"\(WallClock.iso8601(milliseconds: timestamp))\"")
        out.raw(failed ? ",\"level\":\"ERROR\"" : ",\"level\":\"INFO\"")
        out.member("message", Self.message(outcome))
        out.member("requestId", requestID)
        out.member("function", functionName)
        if let traceID { out.member("traceId", traceID) }
        out.member("outcome", outcome.rawValue)
        if let errorType { out.member("errorType", errorType) }
        if let errorMessage {
            out.member(
                "errorMessage", String(decoding: LogSanitizer.redact(errorMessage).utf8.prefix(512), as: UTF8.self))
        }
        out.raw(",\"Invocations\":1,\"Errors\":\(failed ? 1 : 0)")
        out.raw(",\"Duration\":\(Self.milliseconds(duration)),\"BilledDuration\":\(billedDurationMilliseconds)")
        if let initDuration { out.raw(",\"InitDuration\":\(Self.milliseconds(initDuration))") }
        out.raw(",\"MemorySize\":\(memorySizeMB),\"MaxMemoryUsed\":\(maxMemoryUsedMB)")
        if let streamedBytes { out.raw(",\"StreamedBytes\":\(streamedBytes)") }
        out.raw("}\n")
        return out.bytes
    }

    /// Writes the line to standard error in one `write(2)`.
    func emit() {
        writeLine(line())
    }

    private static func message(_ outcome: Outcome) -> String {
        switch outcome {
        case .success: "invocation succeeded"
        case .error: "invocation failed"
        case .timeout: "invocation timed out"
        case .disconnected: "invocation's caller disconnected"
        }
    }

    /// Milliseconds with three decimals (microsecond resolution), e.g. `12.345`.
    static func milliseconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let micros = max(0, seconds * 1_000_000 + attoseconds / 1_000_000_000_000)
        let fraction = String(micros % 1000)
        return "\(micros / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }
}

/// Builds one JSON line by appending, escaping only string values: cheaper than a JSON tree on
/// the warm path, where this runs once per invocation.
struct JSONLine {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(768) }

    mutating func raw(_ text: String) { bytes += text.utf8 }

    mutating func member(_ name: String, _ value: String) {
        bytes += ",\"".utf8
        bytes += name.utf8
        bytes += "\":\"".utf8
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": bytes += "\\\"".utf8
            case "\\": bytes += "\\\\".utf8
            case "\n": bytes += "\\n".utf8
            case "\r": bytes += "\\r".utf8
            case "\t": bytes += "\\t".utf8
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                bytes += "\\u\(String(repeating: "0", count: 4 - hex.count))\(hex)".utf8
            default: UTF8.encode(scalar) { bytes.append($0) }
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}

/// One `write(2)` of a whole line to standard error, retried on EINTR and short writes, so lines
/// from concurrent writers never interleave and nothing is buffered when the process freezes.
func writeLine(_ line: [UInt8]) {
    line.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = write(2, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 { if errno == EINTR { continue } else { return } }
            offset += n
        }
    }
}
