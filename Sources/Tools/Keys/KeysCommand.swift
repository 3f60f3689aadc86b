import Foundation
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardUsage

/// The key-management command. The key file is `--file PATH` or `SWITCHYARD_KEYS_FILE`; with
/// `--mongo URI` (and `--db NAME`, default `switchyard`) the keys live in MongoDB's `keys`
/// collection instead (what the AWS authorizer reads), one document per key.
///
///     switchyard-keys create --tenant T --tier basic [--name N] [--rpm 600] [--tpm 1000000]
///     switchyard-keys list
///     switchyard-keys revoke KEY_ID
///     switchyard-keys rotate KEY_ID
///
/// `create` and `rotate` print the new key once, on its own line (`key: sk-sy-…`); only its
/// SHA-256 is written. Writes replace the file atomically (a temporary file, fsync, rename), so
/// the server never reads half a file; `--json` prints machine-readable output.
enum KeysCommand {
    static let usage = """
        usage: switchyard-keys [STORE] [--json] create --tenant T --tier TIER [--name N] [--rpm N] [--tpm N]
               switchyard-keys [STORE] [--json] list
               switchyard-keys [STORE] [--json] revoke KEY_ID
               switchyard-keys [STORE] [--json] rotate KEY_ID
        STORE: --file PATH (or SWITCHYARD_KEYS_FILE), or --mongo URI [--db NAME] (collection keys)
        """

    static func run(_ arguments: [String]) -> Int32 {
        var options: [String: String] = [:]
        var positional: [String] = []
        var json = false
        var i = 0
        while i < arguments.count {
            let argument = arguments[i]
            if argument == "--json" {
                json = true
            } else if argument.hasPrefix("--") {
                guard i + 1 < arguments.count else { return fail("\(argument) needs a value") }
                options[String(argument.dropFirst(2))] = arguments[i + 1]
                i += 1
            } else {
                positional.append(argument)
            }
            i += 1
        }
        let mongo: MongoKeyStore?
        if let uri = options["mongo"] {
            var configuration = MongoUsageConfiguration(uri: uri)
            configuration.database = options["db"] ?? "switchyard"
            do {
                mongo = MongoKeyStore(
                    documents: try MongoDocuments(configuration: configuration, collection: MongoKeyStore.collection),
                    readTimeout: .seconds(10))
            } catch { return fail(error.errorMessage) }
        } else {
            mongo = nil
        }
        let path = options["file"] ?? ProcessInfo.processInfo.environment["SWITCHYARD_KEYS_FILE"] ?? ""
        guard mongo != nil || !path.isEmpty else {
            return fail("no key store: pass --file PATH, set SWITCHYARD_KEYS_FILE, or pass --mongo URI")
        }
        guard let command = positional.first else { return fail(usage) }
        do {
            var store = try mongo.map { try $0.load(deadline: .now + .seconds(10)) } ?? load(path)
            let original = store
            func save(_ store: KeyStore, to path: String) throws {
                guard let mongo else { return try Self.save(store, to: path) }
                // Only the keys this command changed, each journaled.
                for key in store.keys where original.key(id: key.id) != key {
                    try mongo.save(key, deadline: .now + .seconds(10))
                }
            }
            let now = WallClock.nowMilliseconds()
            switch command {
            case "create":
                guard let tenant = options["tenant"], let tier = options["tier"] else { return fail(usage) }
                let limits = KeyLimits(
                    requestsPerMinute: try number(options["rpm"], default: KeyLimits.defaults.requestsPerMinute),
                    tokensPerMinute: try number(options["tpm"], default: KeyLimits.defaults.tokensPerMinute))
                let (key, stored) = try store.create(
                    tenant: tenant, tier: tier, name: options["name"], limits: limits, now: now)
                try save(store, to: path)
                printKey(key, stored, json: json)
            case "list":
                if json {
                    print(String(decoding: store.serialized(), as: UTF8.self))
                } else {
                    for key in store.keys {
                        let state = key.revokedAtMs == nil ? "active" : "revoked"
                        print(
                            "\(key.id)  \(state)  tenant=\(key.tenant) tier=\(key.tier) "
                                + "rpm=\(key.limits.requestsPerMinute) "
                                + "tpm=\(key.limits.tokensPerMinute) name=\(key.name ?? "-")")
                    }
                }
            case "revoke":
                guard positional.count == 2 else { return fail(usage) }
                let key = try store.revoke(id: positional[1], now: now)
                try save(store, to: path)
                print(json ? "{\"id\":\"\(key.id)\",\"revoked\":true}" : "revoked \(key.id)")
            case "rotate":
                guard positional.count == 2 else { return fail(usage) }
                let (key, stored) = try store.rotate(id: positional[1], now: now)
                try save(store, to: path)
                printKey(key, stored, json: json)
            default:
                return fail(usage)
            }
            return 0
        } catch let error as FrontDoorError {
            return fail(error.errorMessage)
        } catch {
            return fail("\(error)")
        }
    }

    static func printKey(_ key: APIKey, _ stored: StoredKey, json: Bool) {
        if json {
            print(
                "{\"id\":\"\(stored.id)\",\"key\":\"\(key.text)\","
                    + "\"tenant\":\"\(stored.tenant)\",\"tier\":\"\(stored.tier)\"}"
            )
        } else {
            print("id: \(stored.id)  tenant=\(stored.tenant) tier=\(stored.tier)")
            print("key: \(key.text)")
            print("(shown once; only its SHA-256 is stored)")
        }
    }

    static func number(_ text: String?, default value: Int) throws -> Int {
        guard let text else { return value }
        guard let n = Int(text), KeyLimits.range.contains(n) else {
            throw FrontDoorError.invalidRequest(
                param: nil, message: "limits must be integers within \(KeyLimits.range)")
        }
        return n
    }

    static func load(_ path: String) throws -> KeyStore {
        guard FileManager.default.fileExists(atPath: path) else { return try KeyStore() }
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try KeyStore.parse(Array(data))
    }

    /// Temporary file in the same folder, fsync, rename: readers see the old file or the new one.
    static func save(_ store: KeyStore, to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let bytes = store.serialized()
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else { throw FrontDoorError.internalError("cannot write \(temporary)") }
        let fd = open(temporary, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
        guard rename(temporary, path) == 0 else { throw FrontDoorError.internalError("cannot replace \(path)") }
    }

    static func fail(_ message: String) -> Int32 {
        FileHandle.standardError.write(Data((message + "\n").utf8))
        return 2
    }
}
