import Logging
import SwitchyardCore
import SwitchyardJSON

/// A swift-log handler that writes Lambda's log formats to standard error, one line per entry.
///
/// `JSON` follows Lambda's structured format (`timestamp`, `level`, `message`, `requestId`, plus
/// metadata as fields) so CloudWatch Logs Insights can filter on them; `Text` is
/// `timestamp LEVEL requestId message key=value…`. Each line is one `write(2)`, so lines from
/// concurrent tasks never interleave and nothing is buffered when the process is frozen.
///
/// One entry is always one line: in `Text` control characters in the message and in metadata
/// are escaped (`LogSanitizer`), so a value holding `\n` cannot forge a second entry (`JSON`
/// escapes them anyway). Credentials are redacted in both formats: the values of metadata keys
/// that name a secret, and credential-looking text (`Bearer …`, `Authorization: …`, `sk-…`,
/// `api_key=…`) in messages and values.
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
        writeLine(format(event, timestamp: WallClock.nowMilliseconds()))
    }

    /// The bytes of one log line, newline included.
    public func format(_ event: LogEvent, timestamp milliseconds: Int64) -> [UInt8] {
        let timestamp = WallClock.iso8601(milliseconds: milliseconds)
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        let requestID = merged.removeValue(forKey: "aws-request-id").map { "\($0)" }
        let message = LogSanitizer.redact("\(event.message)")
        var line: [UInt8]
        switch format {
        case .json:
            var object = JSONObject()
            object["timestamp"] = .string(timestamp)
            object["level"] = .string(event.level.lambdaName)
            object["message"] = .string(message)
            object["logger"] = .string(label)
            if let requestID { object["requestId"] = .string(requestID) }
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) where object[key] == nil {
                object[key] = LogSanitizer.isSensitive(key: key) ? .string(LogSanitizer.marker) : Self.json(value)
            }
            line = JSON.object(object).serialized()
        case .text:
            let escape = LogSanitizer.escapeControlCharacters
            var text = "\(timestamp) \(event.level.lambdaName) \(escape(requestID ?? "-")) \(escape(message))"
            for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
                let shown = LogSanitizer.isSensitive(key: key) ? LogSanitizer.marker : Self.text(value)
                text += " \(escape(key))=\(escape(shown))"
            }
            line = Array(text.utf8)
        }
        line.append(0x0A)
        return line
    }

    private static func json(_ value: Logger.MetadataValue) -> JSON {
        switch value {
        case .string(let s): .string(LogSanitizer.redact(s))
        case .stringConvertible(let c): .string(LogSanitizer.redact(c.description))
        case .array(let a): .array(a.map(json))
        case .dictionary(let d):
            .object(
                JSONObject(
                    d.sorted { $0.key < $1.key }.map {
                        (
                            key: $0.key,
                            value: LogSanitizer.isSensitive(key: $0.key) ? .string(LogSanitizer.marker) : json($0.value)
                        )
                    }))
        }
    }

    /// A metadata value as text, secrets redacted (nested keys included).
    private static func text(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let s): LogSanitizer.redact(s)
        case .stringConvertible(let c): LogSanitizer.redact(c.description)
        case .array(let a): "[" + a.map(text).joinedText(separator: ", ") + "]"
        case .dictionary(let d):
            "["
                + d.sorted { $0.key < $1.key }.map {
                    "\($0.key): \(LogSanitizer.isSensitive(key: $0.key) ? LogSanitizer.marker : text($0.value))"
                }.joinedText(separator: ", ") + "]"
        }
    }
}
