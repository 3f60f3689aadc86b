import Logging
import SwitchyardCore
import SwitchyardJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A swift-log handler that writes Lambda's log formats to standard error, one line per entry.
///
/// `JSON` follows Lambda's structured format (`timestamp`, `level`, `message`, `requestId`, plus
/// metadata as fields) so CloudWatch Logs Insights can filter on them; `Text` is
/// `timestamp LEVEL requestId message key=value…`. Each line is one `write(2)`, so lines from
/// concurrent tasks never interleave and nothing is buffered when the process is frozen.
public struct LambdaLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public let format: RuntimeConfiguration.LogFormat
    public let label: String

    public init(label: String, format: RuntimeConfiguration.LogFormat, level: Logger.Level) {
        self.label = label
        self.format = format
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let line = format(event, timestamp: WallClock.nowMilliseconds())
        line.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if n < 0 { if errno == EINTR { continue } else { return } }
                offset += n
            }
        }
    }

    /// The bytes of one log line, newline included.
    public func format(_ event: LogEvent, timestamp milliseconds: Int64) -> [UInt8] {
        let timestamp = WallClock.iso8601(milliseconds: milliseconds)
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let requestID = merged.removeValue(forKey: "aws-request-id").map { "\($0)" }
        var line: [UInt8]
        switch format {
        case .json:
            var object = JSONObject()
            object["timestamp"] = .string(timestamp)
            object["level"] = .string(event.level.lambdaName)
            object["message"] = .string("\(event.message)")
            object["logger"] = .string(label)
            if let requestID { object["requestId"] = .string(requestID) }
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) where object[key] == nil {
                object[key] = Self.json(value)
            }
            line = JSON.object(object).serialized()
        case .text:
            var text = "\(timestamp) \(event.level.lambdaName) \(requestID ?? "-") \(event.message)"
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) { text += " \(key)=\(value)" }
            line = Array(text.utf8)
        }
        line.append(0x0A)
        return line
    }

    private static func json(_ value: Logger.MetadataValue) -> JSON {
        switch value {
        case .string(let s): .string(s)
        case .stringConvertible(let c): .string(c.description)
        case .array(let a): .array(a.map(json))
        case .dictionary(let d):
            .object(JSONObject(d.sorted { $0.key < $1.key }.map { (key: $0.key, value: json($0.value)) }))
        }
    }
}
