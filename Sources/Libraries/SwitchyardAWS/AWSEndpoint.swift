import SwitchyardCore

/// Where to send a service's requests: the regional AWS endpoint, or an override for local
/// emulators, read the way the AWS SDKs read it.
public enum AWSEndpoint {
    /// `AWS_ENDPOINT_URL_<SERVICE_ID>` (e.g. `AWS_ENDPOINT_URL_SECRETS_MANAGER`), then
    /// `AWS_ENDPOINT_URL`, then `https://<hostPrefix>.<region>.amazonaws.com`.
    public static func resolve(serviceID: String, hostPrefix: String, region: String, environment: Environment)
        -> String
    {
        let specific = "AWS_ENDPOINT_URL_" + serviceID.uppercased().replacingSpaces()
        if let url = environment[specific], !url.isEmpty { return url.trimmingTrailingSlash() }
        if let url = environment["AWS_ENDPOINT_URL"], !url.isEmpty { return url.trimmingTrailingSlash() }
        return "https://\(hostPrefix).\(region).amazonaws.com"
    }

    /// `AWS_REGION` (set by Lambda), then `AWS_DEFAULT_REGION`.
    public static func region(_ environment: Environment) throws(ConfigurationError) -> String {
        if let region = environment["AWS_REGION"], !region.isEmpty { return region }
        return try environment.require("AWS_DEFAULT_REGION")
    }
}

extension String {
    fileprivate func replacingSpaces() -> String { String(map { $0 == " " || $0 == "-" ? "_" : $0 }) }
    fileprivate func trimmingTrailingSlash() -> String { hasSuffix("/") ? String(dropLast()) : self }
}
