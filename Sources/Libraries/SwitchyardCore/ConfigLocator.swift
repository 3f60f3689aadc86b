/// Finds the bundle's configuration files (`policy.json`, `catalog.json`, `rates.json`, …) the
/// same way in every function and tool, so no code walks parent folders or hard-codes `../../..`:
///
/// 1. `SWITCHYARD_BUNDLE_DIR/<name>` when that variable is set (the local stack sets it to `infra/`);
/// 2. `$LAMBDA_TASK_ROOT/<name>` when the file is there (a deployment zip);
/// 3. `infra/<name>` under the working directory or one of its parents (tools and tests run from
///    anywhere inside the repository).
public enum ConfigLocator {
    /// The path of `name`, or nil when no candidate exists.
    public static func locate(_ name: String, environment: Environment) -> String? {
        if name.hasPrefix("/") { return readable(name) ? name : nil }
        if let dir = environment["SWITCHYARD_BUNDLE_DIR"], !dir.isEmpty {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            return readable(path) ? path : nil
        }
        if let root = environment["LAMBDA_TASK_ROOT"], !root.isEmpty, readable(root + "/" + name) {
            return root + "/" + name
        }
        var prefix = ""
        for _ in 0..<8 {
            if readable(prefix + "infra/" + name) { return prefix + "infra/" + name }
            prefix += "../"
        }
        return nil
    }

    /// The path of `name`, or `Config.UnreadableFile` listing where it was looked for.
    public static func require(_ name: String, environment: Environment) throws(ConfigurationError) -> String {
        guard let path = locate(name, environment: environment) else {
            throw .unreadableFile(
                path: name,
                reason:
                    "not found in SWITCHYARD_BUNDLE_DIR, LAMBDA_TASK_ROOT or an infra/ folder above the working directory"
            )
        }
        return path
    }

    static func readable(_ path: String) -> Bool { access(path, R_OK) == 0 }
}
