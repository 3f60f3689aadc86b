import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// Which images a deployment and each of its tenants may read: the deployment's policy from the
/// environment, plus each tenant's own S3 locations from a bundle file. Read once at init by every
/// function that reads images.
///
/// Environment:
/// - `IMAGE_ACCESS_ALLOW_HTTP`: allow `http://` URLs (local stacks only). Default false.
/// - `IMAGE_ACCESS_ALLOW_PRIVATE_HOSTS`: allow loopback, private and link-local hosts (local
///   stacks only). Default false.
/// - `IMAGE_ACCESS_S3`: comma-separated `s3://bucket/prefix` locations every tenant may read
///   (the front door's upload bucket). Default none: `s3://` is refused.
/// - `IMAGE_ACCESS_MAX_INLINE_BYTES`: largest inline image. Default 5 MiB.
/// - `IMAGE_ACCESS_FILE`: the tenants' file in the bundle (found with `ConfigLocator`). Default
///   `image-access.json`; when that default is absent, tenants get only the deployment's
///   locations. A file named explicitly must exist.
///
/// The file: `{"version": "…", "tenants": {"<tenantId>": {"s3": ["s3://bucket/prefix/", …]}}}`.
public struct ImageAccessConfiguration: Sendable, Equatable {
    public var deployment: ImageAccessPolicy
    public var tenants: [String: [S3Prefix]]
    /// Where the tenants' locations came from (`none` when no file was read).
    public var source: String

    public init(deployment: ImageAccessPolicy, tenants: [String: [S3Prefix]] = [:], source: String = "none") {
        self.deployment = deployment
        self.tenants = tenants
        self.source = source
    }

    /// - Throws: `Config.Invalid` for a malformed variable, `Config.UnreadableFile` or
    ///   `Config.InvalidDocument` for the tenants' file.
    public init(environment: Environment) throws(ConfigurationError) {
        var s3: [S3Prefix] = []
        for item in environment.string("IMAGE_ACCESS_S3", default: "").split(separator: ",") {
            let text = item.trimmingSpaces
            guard !text.isEmpty else { continue }
            guard let prefix = S3Prefix(text) else {
                throw .invalid(
                    variable: "IMAGE_ACCESS_S3", value: text, expected: "comma-separated s3://bucket/prefix locations")
            }
            s3.append(prefix)
        }
        let deployment = ImageAccessPolicy(
            allowHTTP: try environment.bool("IMAGE_ACCESS_ALLOW_HTTP", default: false),
            allowPrivateHosts: try environment.bool("IMAGE_ACCESS_ALLOW_PRIVATE_HOSTS", default: false), s3: s3,
            maxInlineBytes: try environment.int(
                "IMAGE_ACCESS_MAX_INLINE_BYTES", default: 5 << 20, range: 1...(64 << 20)))
        let explicit = environment["IMAGE_ACCESS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        let path =
            explicit != nil
            ? try ConfigLocator.require(explicit!, environment: environment)
            : ConfigLocator.locate("image-access.json", environment: environment)
        guard let path else {
            self.init(deployment: deployment)
            return
        }
        self.init(
            deployment: deployment,
            tenants: try Self.parseTenants(try FileReader.read(path, limit: 4 << 20), source: path),
            source: path)
    }

    /// The policy for one tenant: the deployment's, with the tenant's S3 locations added.
    public func policy(tenant: String) -> ImageAccessPolicy {
        deployment.adding(s3: tenants[tenant] ?? [])
    }

    /// Parses the tenants' file: `{"version": "…", "tenants": {"<id>": {"s3": ["s3://bucket/prefix/"]}}}`
    /// (other top-level keys, such as `about`, are ignored).
    ///
    /// Read field by field, as the bundle's documents are (`JSONFields`): through `Decodable` this
    /// 346-byte file cost 0.36 M instructions at every cold start of the ingress and the llm-caller,
    /// most of it Swift instantiating the decoder's generic containers (docs/packaging.md, tenth pass).
    /// - Throws: `Config.InvalidDocument` naming the tenant and entry at fault.
    public static func parseTenants(_ bytes: [UInt8], source: String) throws(ConfigurationError) -> [String: [S3Prefix]]
    {
        enum Field: String { case version, tenants }
        enum TenantField: String { case s3 }
        let listed: [String: [String]]
        do {
            let file = try JSONFields(try JSON.parse(bytes), keys: Field.self)
            _ = try file.required(.version, JSONRead.string)
            listed = try file.required(.tenants) { tenants throws(JSONWalkError) in
                try JSONRead.map(tenants) { tenant throws(JSONWalkError) in
                    try JSONFields(tenant, keys: TenantField.self).optional(.s3) { list throws(JSONWalkError) in
                        try JSONRead.array(list, JSONRead.string)
                    } ?? []
                }
            }
        } catch let error as JSONWalkError {
            throw .invalidDocument(source: source, detail: error.description)
        } catch {
            throw .invalidDocument(source: source, detail: describeDecodingError(error))
        }
        var tenants: [String: [S3Prefix]] = [:]
        for (tenant, entries) in listed.sorted(by: { $0.key < $1.key }) {
            guard Identifier.isValid(tenant) else {
                throw .invalidDocument(
                    source: source, detail: "tenant id \(tenant.prefix(60)) is not a valid identifier")
            }
            var prefixes: [S3Prefix] = []
            for text in entries {
                guard let prefix = S3Prefix(text) else {
                    throw .invalidDocument(
                        source: source, detail: "tenants.\(tenant).s3: \(text.prefix(80)) is not s3://bucket/prefix")
                }
                prefixes.append(prefix)
            }
            tenants[tenant] = prefixes
        }
        return tenants
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
