import SwitchyardCore

/// An access key pair and, for temporary credentials (always the case inside Lambda), a session token.
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// From `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN`, which Lambda
    /// sets for the function's execution role.
    public static func fromEnvironment(_ environment: Environment) throws(ConfigurationError) -> AWSCredentials {
        let token = environment["AWS_SESSION_TOKEN"]
        return AWSCredentials(
            accessKeyID: try environment.require("AWS_ACCESS_KEY_ID"),
            secretAccessKey: try environment.require("AWS_SECRET_ACCESS_KEY"),
            sessionToken: (token?.isEmpty ?? true) ? nil : token
        )
    }
}

extension AWSCredentials: CustomStringConvertible {
    /// Never prints the secret or the token.
    public var description: String { "AWSCredentials(\(accessKeyID), secret: <redacted>)" }
}
