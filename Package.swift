// swift-tools-version:6.0
// Switchyard: a serverless model router. One package, several small Lambda functions.
//
// The layout shows the kinds of target (see docs/architecture.md for the import rules):
//   Sources/System/     C libraries and shims (libcurl, libmongoc, zlib, libcrypto, TurboJPEG, libpng), static
//   Sources/Libraries/  Foundation-free libraries: shared primitives, the contract, pure domain logic, I/O clients
//   Sources/Functions/  one folder per Lambda function: `Function/` (handler, configuration, I/O wiring) and
//                       `Main/main.swift` (a few lines, packaged as `bootstrap`)
//   Sources/Tools/      the local Lambda emulator, command-line tools and benchmarks
import PackageDescription

// MARK: - Helpers that keep each target's path next to its name

func library(
    _ name: String, _ dependencies: [Target.Dependency], swiftSettings: [SwiftSetting]? = nil
) -> Target {
    .target(name: name, dependencies: dependencies, path: "Sources/Libraries/\(name)", swiftSettings: swiftSettings)
}

/// A function's library (handler, configuration, I/O) and its executable (`main.swift`).
func function(_ folder: String, executable: String, library: String?, dependencies: [Target.Dependency]) -> [Target] {
    var targets: [Target] = []
    var mainDependencies: [Target.Dependency] = ["SwitchyardRuntime", "SwitchyardCore"]
    if let library {
        // Every function library speaks the contract.
        targets.append(
            .target(
                name: library, dependencies: ["SwitchyardContract"] + dependencies,
                path: "Sources/Functions/\(folder)/Function"))
        mainDependencies.append(.target(name: library))
    } else {
        mainDependencies += dependencies
    }
    targets.append(
        .executableTarget(
            name: executable, dependencies: mainDependencies, path: "Sources/Functions/\(folder)/Main",
            linkerSettings: functionLinkerSettings(executable)))
    return targets
}

/// The packaged bootstraps' link (release, `--static-swift-stdlib`): the static stdlib's link flags
/// export every symbol of the program (`-export-dynamic`), which nothing loads it against; without
/// it the stripped router is 0.9 MB and the ingress 1.1 MB smaller. They also name `-lstdc++`, which
/// finds the static archive scripts/build-deps stages in `.deps/static-cxx` first: loading
/// libstdc++.so cost half of echo's init instructions, for its own relocation (docs/packaging.md).
/// `-no-pie`: a position-independent executable with the Swift runtime linked in carries ~50,000
/// relative relocations (Swift metadata), which the loader applies at every start; linked at a fixed
/// address it carries none (the code is PIC either way), and the router's zip is 0.2 MB smaller.
///
/// The router's and the ingress's init code is linked contiguously: lld (the toolchain's) places the
/// functions their init runs first, in the order `scripts/init-order` writes from a callgrind profile of
/// one cold start (`Sources/Functions/LinkOrder/<target>.order`). Spread over the text, that code made
/// fault-around and read-ahead map most of it at init; grouped, each one's RSS at init is 4 MiB smaller
/// (docs/packaging.md, seventh pass). Symbols an order file names that a link lacks are skipped.
let initOrderedExecutables: Set<String> = ["RouterFunction", "IngressFunction"]

func functionLinkerSettings(_ executable: String) -> [LinkerSetting] {
    var flags = [
        "-Xlinker", "--no-export-dynamic", "-L\(Context.packageDirectory)/.deps/static-cxx",
        "-Xclang-linker", "-no-pie",
    ]
    if initOrderedExecutables.contains(executable) {
        let order = "\(Context.packageDirectory)/Sources/Functions/LinkOrder/\(executable).order"
        flags += [
            "-use-ld=lld", "-Xlinker", "--symbol-ordering-file=\(order)", "-Xlinker", "--no-warn-symbol-ordering",
        ]
    }
    return [.unsafeFlags(flags, .when(configuration: .release))]
}

func tool(_ name: String, folder: String, _ dependencies: [Target.Dependency], swift5: Bool = false) -> Target {
    .executableTarget(
        name: name, dependencies: ["SwitchyardContract"] + dependencies, path: "Sources/Tools/\(folder)",
        // Swift 5 mode keeps top-level tool scripts free of isolation boilerplate.
        swiftSettings: swift5 ? [.swiftLanguageMode(.v5)] : nil)
}

// MARK: - System libraries (static archives staged by scripts/build-deps in .deps/sysroot)

// scripts/build-deps builds libcurl and libmongoc from Debian's source packages, configured for what
// Switchyard uses, and stages them with Debian's static OpenSSL, zlib, nghttp2, libjpeg-turbo and
// libpng as .deps/sysroot/lib/libsy_*.a. Every target sees the sysroot's headers and every link
// searches its archives, so each bootstrap carries exactly the C code its function calls and loads
// no shared library beyond glibc's.
let sysroot = Context.packageDirectory + "/.deps/sysroot"
let sysrootSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(
        ["include", "include/libbson-1.0", "include/libmongoc-1.0"].flatMap { ["-Xcc", "-I\(sysroot)/\($0)"] })
]
let sysrootLinkerSettings: [LinkerSetting] = [.unsafeFlags(["-L\(sysroot)/lib"])]

/// A C library from the sysroot, described by the module map in `Sources/System/<name>`.
func system(_ name: String) -> Target {
    .systemLibrary(name: name, path: "Sources/System/\(name)")
}

let systemTargets: [Target] = [
    system("CCurl"),
    system("CMongoC"),
    system("CZlib"),
    system("CCrypto"),
    system("CTurboJPEG"),
    // C, not a system library: libpng reports errors by longjmp, which must not cross Swift frames.
    .target(
        name: "CPNG", path: "Sources/System/CPNG",
        linkerSettings: [.linkedLibrary("sy_png16"), .linkedLibrary("sy_z"), .linkedLibrary("m")]),
    // fork/exec for the emulator's children: what runs between fork and exec must be C.
    .target(name: "CProcessSpawn", path: "Sources/System/CProcessSpawn"),
    // Linked into every function through SwitchyardRuntime: keeps binaries within glibc 2.34.
    .target(name: "CGlibcCompat", path: "Sources/System/CGlibcCompat", linkerSettings: [.linkedLibrary("m")]),
    // onnxruntime's C API, opened with dlopen at run time (the PyPI wheel's libonnxruntime.so), so
    // every target builds without it.
    .target(name: "COnnxRuntime", path: "Sources/System/COnnxRuntime", linkerSettings: [.linkedLibrary("dl")]),
]

// MARK: - Libraries

let libraryTargets: [Target] = [
    // Shared primitives
    library("SwitchyardJSON", []),
    library("SwitchyardCore", ["SwitchyardJSON"]),
    // The one contract between functions: request, decision, step inputs and outcomes, usage
    // records, catalog, image references, money. Pure: no curl, no libmongoc.
    library("SwitchyardContract", ["SwitchyardCore", "SwitchyardJSON"]),
    // The Runtime API's paths, headers, limits and error document, shared by the runtime and the emulator.
    library("SwitchyardRuntimeAPI", ["SwitchyardCore", "SwitchyardJSON"]),
    library(
        "SwitchyardRuntime",
        [
            "CGlibcCompat", "SwitchyardRuntimeAPI", "SwitchyardCore", "SwitchyardJSON",
            .product(name: "Logging", package: "swift-log"),
        ]),
    // I/O clients
    library("SwitchyardHTTP", ["CCurl", "SwitchyardCore"]),
    // libcurl's multi interface driven by SwiftNIO event loops: the server's upstream transport.
    // Its own target so that SwitchyardHTTP, which every function links, stays free of NIO.
    library(
        "SwitchyardCurlMulti",
        [
            "CCurl", "SwitchyardHTTP", .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    // An HTTP/1.1 client on SwiftNIO's channels for `http://` providers: the server's upstream
    // transport with no thread beside the event loops (https goes to SwitchyardCurlMulti).
    library(
        "SwitchyardNIOHTTPClient",
        [
            "SwitchyardHTTP", .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
        ]),
    library("SwitchyardAWS", ["CCrypto", "SwitchyardHTTP", "SwitchyardCore", "SwitchyardJSON"]),
    // Reading referenced images with the access policy's checks (DNS answers checked and pinned,
    // S3 allow-lists), for every function that reads images.
    library(
        "SwitchyardImageFetch",
        ["SwitchyardContract", "SwitchyardAWS", "SwitchyardHTTP", "SwitchyardCore", "SwitchyardJSON"]),
    // The one onnxruntime binding: in-process vision inference, and any in-process classifier or embedder.
    library("SwitchyardONNX", ["COnnxRuntime", "SwitchyardCore"]),
    // Domains
    library("SwitchyardRouting", ["SwitchyardContract", "SwitchyardBilling", "SwitchyardCore", "SwitchyardJSON"]),
    library(
        "SwitchyardProviders",
        ["CZlib", "SwitchyardContract", "SwitchyardHTTP", "SwitchyardAWS", "SwitchyardJSON", "SwitchyardCore"]),
    library("SwitchyardVision", ["CTurboJPEG", "CPNG", "SwitchyardContract", "SwitchyardCore", "SwitchyardJSON"]),
    library("SwitchyardBilling", ["SwitchyardContract", "SwitchyardCore", "SwitchyardJSON"]),
    // Dashboard metrics: histograms, rollup aggregation, the routing what-if (pure).
    library(
        "SwitchyardMetrics",
        ["SwitchyardContract", "SwitchyardRouting", "SwitchyardBilling", "SwitchyardCore", "SwitchyardJSON"]),
    library(
        "SwitchyardUsage",
        [
            "CMongoC", "SwitchyardContract", "SwitchyardBilling", "SwitchyardMetrics", "SwitchyardCore",
            "SwitchyardJSON", "SwitchyardHTTP", "SwitchyardAWS", .product(name: "Logging", package: "swift-log"),
        ]),
    // The OpenAI-compatible front door: schema mapping, keys, limits, the transport-free service.
    library(
        "SwitchyardFrontDoor",
        [
            "SwitchyardContract", "SwitchyardUsage", "SwitchyardAWS", "SwitchyardCore", "SwitchyardJSON",
            .product(name: "Logging", package: "swift-log"),
        ]),
]

// MARK: - Functions (each packaged as a provided.al2023 zip by scripts/package)

let functionTargets: [Target] =
    function(
        "Router", executable: "RouterFunction", library: "SwitchyardRouterFunction",
        dependencies: [
            "SwitchyardRouting", "SwitchyardBilling", "SwitchyardUsage", "SwitchyardProviders", "SwitchyardAWS",
            "SwitchyardHTTP", "SwitchyardRuntime", "SwitchyardCore", "SwitchyardJSON",
        ])
    + function(
        "LLMCaller", executable: "LLMCallerFunction", library: "SwitchyardLLMCallerFunction",
        dependencies: [
            "SwitchyardProviders", "SwitchyardImageFetch", "SwitchyardAWS", "SwitchyardHTTP", "SwitchyardRuntime",
            "SwitchyardJSON", "SwitchyardCore", "SwitchyardRetrieval", "SwitchyardRetrievalStore",
        ])
    + function(
        "Vision", executable: "VisionFunction", library: "SwitchyardVisionFunction",
        dependencies: [
            "SwitchyardVision", "SwitchyardONNX", "SwitchyardImageFetch", "SwitchyardAWS", "SwitchyardHTTP",
            "SwitchyardRuntime", "SwitchyardJSON", "SwitchyardCore",
        ])
    + function(
        "UsageLogger", executable: "UsageLoggerFunction", library: "SwitchyardUsageLoggerFunction",
        dependencies: [
            "SwitchyardUsage", "SwitchyardBilling", "SwitchyardAWS", "SwitchyardRuntime", "SwitchyardCore",
            "SwitchyardJSON", .product(name: "Logging", package: "swift-log"),
        ])
    + function(
        "Authorizer", executable: "AuthorizerFunction", library: "SwitchyardAuthorizerFunction",
        dependencies: [
            "SwitchyardFrontDoor", "SwitchyardAWS", "SwitchyardHTTP", "SwitchyardRuntime", "SwitchyardCore",
            "SwitchyardJSON",
        ])
    // The ingress composes the router's and llm-caller's handler libraries in process
    // (InProcessBackend/InProcessPipeline, shared with switchyard-server: streamed chat and admission
    // routing, decisions.md "The way in on AWS"), the one function library allowed to import other
    // functions' libraries (scripts/check-imports). Not vision's: the ingress runs no detector, and
    // the server hands its VisionHandler to the pipeline as an InProcessDetector.
    + function(
        "Ingress", executable: "IngressFunction", library: "SwitchyardIngressFunction",
        dependencies: [
            "SwitchyardFrontDoor", "SwitchyardRouterFunction", "SwitchyardLLMCallerFunction", "SwitchyardRouting",
            "SwitchyardBilling", "SwitchyardUsage", "SwitchyardAWS", "SwitchyardHTTP", "SwitchyardRuntime",
            "SwitchyardCore", "SwitchyardJSON", .product(name: "Logging", package: "swift-log"),
        ])
    + function(
        "DashboardAPI", executable: "DashboardAPIFunction", library: "SwitchyardDashboardAPIFunction",
        dependencies: [
            "SwitchyardMetrics", "SwitchyardUsage", "SwitchyardRouting", "SwitchyardRuntime", "SwitchyardCore",
            "SwitchyardJSON", "SwitchyardAWS", "SwitchyardHTTP",
        ])
    + function("Echo", executable: "EchoFunction", library: nil, dependencies: [])
    // A function that misbehaves on request, for testing the runtime and emulator end to end.
    + function("RuntimeProbe", executable: "RuntimeProbeFunction", library: nil, dependencies: ["SwitchyardJSON"])

// MARK: - Tools

let toolTargets: [Target] = [
    .target(
        name: "SwitchyardEmulator",
        dependencies: [
            "CProcessSpawn", "CZlib", "SwitchyardRuntimeAPI", "SwitchyardCore", "SwitchyardJSON", "SwitchyardHTTP",
            "SwitchyardAWS",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        path: "Sources/Tools/Emulator/Library",
        // NIO's handler types predate strict concurrency checking.
        swiftSettings: [.swiftLanguageMode(.v5)]),
    tool("LambdaEmulator", folder: "Emulator/Main", ["SwitchyardEmulator", "SwitchyardCore"], swift5: true),
    tool(
        "LLMCallTool", folder: "LLMCall",
        ["SwitchyardLLMCallerFunction", "SwitchyardProviders", "SwitchyardJSON", "SwitchyardCore"]),
    tool(
        "UsageIngestTool", folder: "UsageIngest",
        [
            "SwitchyardUsage", "SwitchyardBilling", "SwitchyardAWS", "SwitchyardHTTP", "SwitchyardCore",
            "SwitchyardJSON",
        ]),
    tool(
        "VisionTool", folder: "VisionTool",
        [
            "SwitchyardVision", "SwitchyardVisionFunction", "SwitchyardONNX", "SwitchyardCore", "SwitchyardJSON",
            "SwitchyardRuntime",
        ]),
    tool(
        "DashboardTool", folder: "Dashboard",
        [
            "SwitchyardDashboardAPIFunction", "SwitchyardMetrics", "SwitchyardEmulator", "SwitchyardCore",
            "SwitchyardJSON", .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swift5: true),
    tool(
        "UsageSeedTool", folder: "UsageSeed",
        [
            "SwitchyardDashboardAPIFunction", "SwitchyardMetrics", "SwitchyardUsage", "SwitchyardBilling",
            "SwitchyardRouting", "SwitchyardCore", "SwitchyardJSON",
        ],
        swift5: true),
    tool(
        "RouterBenchmark", folder: "RouterBenchmark",
        ["SwitchyardRouting", "SwitchyardBilling", "SwitchyardCore", "SwitchyardJSON"], swift5: true),
    // scripts/bench-json: SwitchyardJSON beside Foundation (simdjson runs from Benchmarks/JSONSimdjson).
    tool("JSONBenchTool", folder: "JSONBench", ["SwitchyardJSON"]),
    tool(
        "CostModelTool", folder: "CostModel", ["SwitchyardBilling", "SwitchyardCore", "SwitchyardJSON"], swift5: true),
    tool(
        "RouterEval", folder: "RouterEval",
        ["SwitchyardRouting", "SwitchyardRouterFunction", "SwitchyardCore", "SwitchyardJSON", "SwitchyardHTTP"],
        swift5: true),
    // The single-process server: the front door over SwiftNIO, router and llm-caller in-process.
    tool(
        "SwitchyardServer", folder: "Server",
        [
            "SwitchyardFrontDoor", "SwitchyardRouterFunction", "SwitchyardLLMCallerFunction",
            "SwitchyardVisionFunction", "SwitchyardONNX", "SwitchyardDashboardAPIFunction", "SwitchyardMetrics",
            "SwitchyardRouting", "SwitchyardUsage", "SwitchyardHTTP", "SwitchyardCurlMulti", "SwitchyardNIOHTTPClient",
            "SwitchyardBilling",
            "SwitchyardCore", "SwitchyardJSON",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            // The gateway mode's Step Functions and S3 clients; the in-process backend (in the ingress's library).
            "SwitchyardAWS", "SwitchyardIngressFunction",
        ], swift5: true),
    tool("KeysTool", folder: "Keys", ["SwitchyardFrontDoor", "SwitchyardUsage", "SwitchyardCore", "SwitchyardJSON"]),
]

// MARK: - Retrieval (docs/retrieval.md): chunking, exact scan, BM25, prompt assembly (pure); the
// MongoDB chunk store and the Atlas index; the ingest/evaluation tool, the scan benchmark, tests.

let retrievalTargets: [Target] = [
    library("SwitchyardRetrieval", ["SwitchyardContract", "SwitchyardCore", "SwitchyardJSON"]),
    library(
        "SwitchyardRetrievalStore", ["SwitchyardRetrieval", "SwitchyardUsage", "SwitchyardCore", "SwitchyardJSON"]),
    tool(
        "RetrievalTool", folder: "Ingest",
        [
            "SwitchyardLLMCallerFunction", "SwitchyardRetrieval", "SwitchyardRetrievalStore", "SwitchyardUsage",
            "SwitchyardProviders", "SwitchyardCore", "SwitchyardJSON",
        ]),
    // Pure: builds fast in release for scripts/bench-retrieval.
    tool(
        "RetrievalBench", folder: "RetrievalBench", ["SwitchyardRetrieval", "SwitchyardCore", "SwitchyardJSON"],
        swift5: true),
    tests(
        "SwitchyardRetrieval",
        [
            "SwitchyardRetrievalStore", "SwitchyardLLMCallerFunction", "SwitchyardProviders", "SwitchyardHTTP",
            "SwitchyardJSON", "SwitchyardRouting",
        ]),
]

// MARK: - Fuzz targets
// libFuzzer harnesses (`@_cdecl("LLVMFuzzerTestOneInput")`, no main of their own: libFuzzer links
// one in). They exist only when SWITCHYARD_FUZZ=1, which scripts/fuzz sets for its own build in
// .build/fuzz (with `-Xswiftc -sanitize=fuzzer,address`: see there why one combined flag); an
// ordinary build never sees them.

func fuzzTarget(_ name: String, folder: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name, dependencies: dependencies, path: "Sources/Tools/Fuzz/\(folder)",
        swiftSettings: [.unsafeFlags(["-parse-as-library"])])
}

let fuzzTargets: [Target] =
    Context.environment["SWITCHYARD_FUZZ"] == "1"
    ? [
        fuzzTarget("FuzzJSON", folder: "JSON", ["SwitchyardJSON", "SwitchyardContract"]),
        fuzzTarget("FuzzImage", folder: "Image", ["SwitchyardVision"]),
        fuzzTarget("FuzzSSE", folder: "SSE", ["SwitchyardProviders"]),
        fuzzTarget("FuzzEventStream", folder: "EventStream", ["SwitchyardProviders"]),
        // A planted bug only a coverage-guided build finds: scripts/fuzz's check on its own flags.
        fuzzTarget("FuzzPlanted", folder: "Planted", []),
    ] : []

// MARK: - Tests (one target per library; Tests/Integration runs the real binaries with pytest)

/// A test target for `library`; every test target may use the contract and Core.
func tests(_ library: String, _ dependencies: [Target.Dependency] = [], exclude: [String] = []) -> Target {
    .testTarget(
        name: "\(library)Tests",
        dependencies: [.target(name: library)]
            + ["SwitchyardContract", "SwitchyardCore"].filter { $0 != library }.map { .target(name: $0) }
            + dependencies,
        exclude: exclude)
}

/// Test doubles shared by several test targets (one HTTP endpoint stand-in, not one per target).
let testSupportTarget: Target = .target(
    name: "SwitchyardTestSupport", dependencies: ["SwitchyardHTTP"], path: "Tests/SwitchyardTestSupport")

let testTargets: [Target] = [
    testSupportTarget,
    tests("SwitchyardJSON"),
    tests("SwitchyardCore"),
    tests("SwitchyardContract", ["SwitchyardJSON"]),
    tests("SwitchyardRuntime", ["SwitchyardEmulator", "SwitchyardRuntimeAPI"]),
    tests(
        "SwitchyardEmulator",
        [
            "SwitchyardRuntime", "SwitchyardRuntimeAPI", "SwitchyardJSON", "CZlib",
            .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    tests(
        "SwitchyardHTTP",
        [
            "CCurl", "SwitchyardCurlMulti", "SwitchyardNIOHTTPClient", "SwitchyardTestSupport",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
    tests("SwitchyardAWS", ["SwitchyardHTTP", "SwitchyardJSON", "SwitchyardTestSupport"]),
    tests(
        "SwitchyardProviders",
        ["SwitchyardLLMCallerFunction", "SwitchyardAWS", "SwitchyardHTTP", "SwitchyardJSON", "CZlib"],
        exclude: ["Fixtures"]),
    tests("SwitchyardBilling", ["SwitchyardJSON"], exclude: ["Fixtures"]),
    tests(
        "SwitchyardUsage",
        [
            "SwitchyardUsageLoggerFunction", "SwitchyardRouterFunction", "SwitchyardBilling", "SwitchyardJSON",
            "SwitchyardRuntime", "SwitchyardRouting",
        ]),
    tests(
        "SwitchyardFrontDoor",
        ["SwitchyardJSON", "SwitchyardUsage", "SwitchyardAWS", "SwitchyardHTTP", "SwitchyardTestSupport"]),
    tests(
        "SwitchyardVision",
        [
            "SwitchyardVisionFunction", "SwitchyardONNX", "SwitchyardImageFetch", "SwitchyardJSON", "SwitchyardHTTP",
            "CZlib", "SwitchyardTestSupport",
        ]),
    tests("SwitchyardImageFetch", ["SwitchyardAWS", "SwitchyardHTTP", "SwitchyardTestSupport"]),
    tests("SwitchyardONNX"),
    tests(
        "SwitchyardRouting",
        ["SwitchyardRouterFunction", "SwitchyardBilling", "SwitchyardHTTP", "SwitchyardJSON", "SwitchyardRuntime"]),
    tests("SwitchyardMetrics", ["SwitchyardJSON"]),
]

/// Libraries and functions do not import `_StringProcessing` (Swift imports it into every module unless
/// told not to): the import alone linked it and `_RegexParser`, about 1 MB, into every bootstrap, for a
/// few substring searches (now SwitchyardCore's `firstRange(ofText:)`; docs/packaging.md). Tools and
/// tests keep it.
let noStringProcessing: [SwiftSetting] = [
    .unsafeFlags(["-Xfrontend", "-disable-implicit-string-processing-module-import"])
]

/// Release builds of libraries and functions reach a concrete generic type's metadata (`[String: TierSpec]`,
/// `Set<ModelID>`, …) through a direct accessor instead of demangling its mangled name on first use
/// (`swift_getTypeByMangledName`): loading the router's bundle instantiates hundreds of them at init, and the
/// router's init fell from 7.82 M to 6.81 M instructions for 0.1 MB more code (docs/packaging.md, tenth pass).
let directMetadataAccess: [SwiftSetting] = [
    .unsafeFlags(
        ["-Xfrontend", "-disable-concrete-type-metadata-mangled-name-accessors"], .when(configuration: .release))
]

let allTargets =
    systemTargets + libraryTargets + functionTargets + toolTargets + retrievalTargets + fuzzTargets + testTargets
for target in allTargets where target.type != .system {
    target.linkerSettings = (target.linkerSettings ?? []) + sysrootLinkerSettings
    let path = target.path ?? ""
    // C targets (Sources/System) take no Swift settings.
    if !path.hasPrefix("Sources/System/") {
        target.swiftSettings = (target.swiftSettings ?? []) + sysrootSwiftSettings
    }
    if path.hasPrefix("Sources/Libraries/") || path.hasPrefix("Sources/Functions/") {
        target.swiftSettings = (target.swiftSettings ?? []) + noStringProcessing + directMetadataAccess
    }
}

let package = Package(
    name: "Switchyard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "router-function", targets: ["RouterFunction"]),
        .executable(name: "llm-caller-function", targets: ["LLMCallerFunction"]),
        .executable(name: "vision-function", targets: ["VisionFunction"]),
        .executable(name: "usage-logger-function", targets: ["UsageLoggerFunction"]),
        .executable(name: "echo-function", targets: ["EchoFunction"]),
        .executable(name: "runtime-probe-function", targets: ["RuntimeProbeFunction"]),
        .executable(name: "switchyard-emulator", targets: ["LambdaEmulator"]),
        .executable(name: "llm-call", targets: ["LLMCallTool"]),
        .executable(name: "usage-ingest", targets: ["UsageIngestTool"]),
        .executable(name: "vision-tool", targets: ["VisionTool"]),
        .executable(name: "json-bench", targets: ["JSONBenchTool"]),
        .executable(name: "cost-model", targets: ["CostModelTool"]),
        .executable(name: "switchyard-server", targets: ["SwitchyardServer"]),
        .executable(name: "authorizer-function", targets: ["AuthorizerFunction"]),
        .executable(name: "ingress-function", targets: ["IngressFunction"]),
        .executable(name: "switchyard-keys", targets: ["KeysTool"]),
        .executable(name: "dashboard-api-function", targets: ["DashboardAPIFunction"]),
        .executable(name: "switchyard-dashboard", targets: ["DashboardTool"]),
        .executable(name: "switchyard-seed", targets: ["UsageSeedTool"]),
        .executable(name: "switchyard-retrieval", targets: ["RetrievalTool"]),
        .executable(name: "retrieval-bench", targets: ["RetrievalBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: allTargets
)
