import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// One stored key: who it belongs to, its limits, and the hash of the key (never the key).
public struct StoredKey: Codable, Sendable, Equatable {
    public var id: String
    /// Lowercase hex SHA-256 of the whole key.
    public var hash: String
    public var tenant: String
    public var tier: String
    public var name: String?
    public var createdAtMs: Int64
    public var revokedAtMs: Int64?
    /// The key that replaced this one (`rotate`).
    public var rotatedTo: String?
    public var limits: KeyLimits

    public init(
        id: String, hash: String, tenant: String, tier: String, name: String? = nil, createdAtMs: Int64,
        revokedAtMs: Int64? = nil, rotatedTo: String? = nil, limits: KeyLimits
    ) {
        self.id = id
        self.hash = hash
        self.tenant = tenant
        self.tier = tier
        self.name = name
        self.createdAtMs = createdAtMs
        self.revokedAtMs = revokedAtMs
        self.rotatedTo = rotatedTo
        self.limits = limits
    }
}

/// Per-key limits, per minute.
public struct KeyLimits: Codable, Sendable, Equatable {
    public var requestsPerMinute: Int
    public var tokensPerMinute: Int

    public static let defaults = KeyLimits(requestsPerMinute: 600, tokensPerMinute: 1_000_000)
    public static let range = 1...10_000_000

    public init(requestsPerMinute: Int, tokensPerMinute: Int) {
        self.requestsPerMinute = requestsPerMinute
        self.tokensPerMinute = tokensPerMinute
    }
}

/// The key file (`keys.json`): `{"version": 1, "keys": [StoredKey]}`. Read by the server, the
/// authorizer and the key-management tool; written only by the tool (atomically, by rename).
public struct KeyStore: Sendable, Equatable {
    public private(set) var keys: [StoredKey]
    private var index: [String: Int]

    public init(keys: [StoredKey] = []) throws(FrontDoorError) {
        self.keys = []
        index = [:]
        for key in keys { try insert(key) }
    }

    private mutating func insert(_ key: StoredKey) throws(FrontDoorError) {
        guard key.id.utf8.count == APIKey.idDigits, APIKey.bytes(hex: key.hash)?.count == 32,
            Identifier.isValid(key.tenant), Identifier.isValid(key.tier),
            KeyLimits.range.contains(key.limits.requestsPerMinute), KeyLimits.range.contains(key.limits.tokensPerMinute)
        else { throw .internalError("key \(key.id.prefix(16)) in the key file is malformed") }
        guard index[key.id] == nil else { throw .internalError("key \(key.id) appears twice in the key file") }
        index[key.id] = keys.count
        keys.append(key)
    }

    /// Parses the key file.
    /// - Throws: `FrontDoor.Internal` naming what is wrong.
    public static func parse(_ bytes: [UInt8]) throws(FrontDoorError) -> KeyStore {
        struct File: Decodable {
            var version: Int
            var keys: [StoredKey]
        }
        let file: File
        do { file = try JSON.decode(File.self, from: bytes) } catch {
            throw .internalError("the key file does not parse: \(describeDecodingError(error).prefix(200))")
        }
        guard file.version == 1 else { throw .internalError("key file version \(file.version) is not 1") }
        return try KeyStore(keys: file.keys)
    }

    public func serialized() -> [UInt8] {
        struct File: Encodable {
            var version = 1
            var keys: [StoredKey]
        }
        return (try? JSON.encode(File(keys: keys))) ?? Array(#"{"version":1,"keys":[]}"#.utf8)
    }

    public func key(id: String) -> StoredKey? { index[id].map { keys[$0] } }

    /// The key a bearer token stands for.
    /// - Throws: `FrontDoor.InvalidAPIKey` (unknown or malformed), `FrontDoor.RevokedAPIKey`.
    public func authenticate(_ presented: String) throws(FrontDoorError) -> StoredKey {
        guard let id = APIKey.id(of: presented), let stored = key(id: id),
            let expected = APIKey.bytes(hex: stored.hash)
        else { throw .invalidAPIKey }
        guard APIKey.constantTimeEquals(APIKey.hash(presented), expected) else { throw .invalidAPIKey }
        if stored.revokedAtMs != nil { throw .revokedAPIKey }
        return stored
    }

    // MARK: - Management (the key tool)

    /// Adds a new key; returns the key text, shown once.
    public mutating func create(
        tenant: String, tier: String, name: String?, limits: KeyLimits, now: Int64
    ) throws(FrontDoorError) -> (APIKey, StoredKey) {
        var key = try APIKey.generate()
        while index[key.id] != nil { key = try APIKey.generate() }
        let stored = StoredKey(
            id: key.id, hash: APIKey.hex(APIKey.hash(key.text)), tenant: tenant, tier: tier, name: name,
            createdAtMs: now, limits: limits)
        guard Identifier.isValid(tenant), Identifier.isValid(tier) else {
            throw .invalidRequest(param: "tenant", message: "tenant and tier must be short ids")
        }
        try insert(stored)
        return (key, stored)
    }

    /// Revokes a key; revoking twice keeps the first time.
    public mutating func revoke(id: String, now: Int64) throws(FrontDoorError) -> StoredKey {
        guard let i = index[id] else { throw .notFound(path: "key \(id)") }
        if keys[i].revokedAtMs == nil { keys[i].revokedAtMs = now }
        return keys[i]
    }

    /// A new key with the same tenant, tier, name and limits; the old one is revoked.
    public mutating func rotate(id: String, now: Int64) throws(FrontDoorError) -> (APIKey, StoredKey) {
        guard let old = key(id: id) else { throw .notFound(path: "key \(id)") }
        guard old.revokedAtMs == nil else { throw .revokedAPIKey }
        let (key, stored) = try create(
            tenant: old.tenant, tier: old.tier, name: old.name, limits: old.limits, now: now)
        _ = try revoke(id: id, now: now)
        keys[index[id]!].rotatedTo = stored.id
        return (key, stored)
    }
}
