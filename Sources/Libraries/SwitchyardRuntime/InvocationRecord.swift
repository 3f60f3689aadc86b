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

    /// The line, newline included. Built from constant fragments and digits appended in place:
    /// it runs once per invocation, where string interpolation cost ~30k instructions.
    func line(maxMemoryUsedMB: Int = InvocationRecord.maxMemoryUsedMB()) -> [UInt8] {
        let failed = outcome != .success
        var out = JSONLine()
        out.raw(Fragment.awsStart)
        out.integer(timestamp)
        out.raw(Fragment.metricsStart)
        if initDuration != nil { out.raw(Fragment.initMetric) }
        out.raw(failed ? Fragment.metricsEndWithErrors : Fragment.metricsEnd)
        out.timestamp(milliseconds: timestamp)
        out.raw(failed ? Fragment.levelError : Fragment.levelInfo)
        out.member(Fragment.message, Self.message(outcome))
        out.member(Fragment.requestID, requestID)
        out.member(Fragment.function, functionName)
        if let traceID { out.member(Fragment.traceID, traceID) }
        out.member(Fragment.outcome, outcome.rawValue)
        if let errorType { out.member(Fragment.errorType, errorType) }
        if let errorMessage {
            out.member(
                Fragment.errorMessage,
                String(decoding: LogSanitizer.redact(errorMessage).utf8.prefix(512), as: UTF8.self))
        }
        out.raw(failed ? Fragment.countsFailed : Fragment.countsSucceeded)
        out.milliseconds(duration)
        out.raw(Fragment.billed)
        out.integer(billedDurationMilliseconds)
        if let initDuration {
            out.raw(Fragment.initValue)
            out.milliseconds(initDuration)
        }
        out.raw(Fragment.memorySize)
        out.integer(Int64(memorySizeMB))
        out.raw(Fragment.maxMemory)
        out.integer(Int64(maxMemoryUsedMB))
        if let streamedBytes {
            out.raw(Fragment.streamed)
            out.integer(Int64(streamedBytes))
        }
        out.raw(Fragment.end)
        return out.bytes
    }

    /// The constant parts of the line, as bytes once.
    private enum Fragment {
        static let awsStart = Array(#"{"_aws":{"Timestamp":"#.utf8)
        static let metricsStart = Array(
            (#","CloudWatchMetrics":[{"Namespace":"\#(namespace)","Dimensions":[["function"]],"Metrics":["#
                + #"{"Name":"Invocations","Unit":"Count"},{"Name":"Errors","Unit":"Count"},"#
                + #"{"Name":"Duration","Unit":"Milliseconds"},{"Name":"BilledDuration","Unit":"Milliseconds"},"#
                + #"{"Name":"MaxMemoryUsed","Unit":"Megabytes"}"#).utf8)
        static let initMetric = Array(#",{"Name":"InitDuration","Unit":"Milliseconds"}"#.utf8)
        static let metricsEnd = Array(#"]}]},"timestamp":""#.utf8)
        static let metricsEndWithErrors = Array(
            (#"]},{"Namespace":"\#(namespace)","Dimensions":[["function","errorType"]],"#
                + #""Metrics":[{"Name":"Errors","Unit":"Count"}]}]},"timestamp":""#).utf8)
        static let levelInfo = Array(#"","level":"INFO""#.utf8)
        static let levelError = Array(#"","level":"ERROR""#.utf8)
        static let message = Array(#","message":""#.utf8)
        static let requestID = Array(#","requestId":""#.utf8)
        static let function = Array(#","function":""#.utf8)
        static let traceID = Array(#","traceId":""#.utf8)
        static let outcome = Array(#","outcome":""#.utf8)
        static let errorType = Array(#","errorType":""#.utf8)
        static let errorMessage = Array(#","errorMessage":""#.utf8)
        static let countsSucceeded = Array(#","Invocations":1,"Errors":0,"Duration":"#.utf8)
        static let countsFailed = Array(#","Invocations":1,"Errors":1,"Duration":"#.utf8)
        static let billed = Array(#","BilledDuration":"#.utf8)
        static let initValue = Array(#","InitDuration":"#.utf8)
        static let memorySize = Array(#","MemorySize":"#.utf8)
        static let maxMemory = Array(#","MaxMemoryUsed":"#.utf8)
        static let streamed = Array(#","StreamedBytes":"#.utf8)
        static let end = Array("}\n".utf8)
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
        var line = JSONLine()
        line.milliseconds(duration)
        return String(decoding: line.bytes, as: UTF8.self)
    }
}
