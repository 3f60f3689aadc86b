import SwitchyardCore

/// The two time formats a SigV4 signature uses, from one instant.
public struct AWSTimestamp: Sendable, Equatable {
    /// `YYYYMMDD'T'HHMMSS'Z'`, the `X-Amz-Date` header.
    public let amzDate: String
    /// `YYYYMMDD`, the credential scope's date.
    public let dateStamp: String

    public init(epochSeconds: Int64) {
        let f = UTCFields(epochSeconds: epochSeconds)
        dateStamp = f.year + f.month + f.day
        amzDate = dateStamp + "T" + f.hour + f.minute + f.second + "Z"
    }
}
