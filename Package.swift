// swift-tools-version:6.0
// Switchyard: a serverless model router. One package, several small Lambda functions.
//
// Layout: C system libraries (C*), Foundation-free libraries (Switchyard*), one executable per
// Lambda function (*Function, each packaged as a `bootstrap`), and developer tools (LambdaEmulator).
// Each area keeps its targets in its own list below so the areas can grow independently.
import PackageDescription

// MARK: - C system libraries (found through pkg-config, installed by scripts/setup)

let systemLibraries: [Target] = [
    .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
    .systemLibrary(name: "CMongoC", pkgConfig: "libmongoc-1.0", providers: [.apt(["libmongoc-dev"])]),
    .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
]

// MARK: - Foundation: JSON, shared primitives, the Runtime API loop, the local emulator

let foundationTargets: [Target] = [
    // Linked into every function through SwitchyardRuntime: keeps binaries within glibc 2.34.
    .target(name: "CGlibcCompat", linkerSettings: [.linkedLibrary("m")]),
    .target(name: "SwitchyardJSON"),
    .target(name: "SwitchyardCore", dependencies: ["SwitchyardJSON"]),
    .target(
        name: "SwitchyardRuntime",
        dependencies: ["CGlibcCompat", "SwitchyardCore", "SwitchyardJSON", .product(name: "Logging", package: "swift-log")]
    ),
    .target(
        name: "SwitchyardEmulator",
        dependencies: [
            "SwitchyardCore", "SwitchyardJSON",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ],
        // NIO's handler types predate strict concurrency checking.
        swiftSettings: [.swiftLanguageMode(.v5)]
    ),
    .executableTarget(name: "LambdaEmulator", dependencies: ["SwitchyardEmulator", "SwitchyardCore"], swiftSettings: [.swiftLanguageMode(.v5)]),
    .executableTarget(name: "EchoFunction", dependencies: ["SwitchyardRuntime"]),
    // A function that misbehaves on request, for testing the runtime and emulator end to end.
    .executableTarget(name: "RuntimeProbeFunction", dependencies: ["SwitchyardRuntime", "SwitchyardCore", "SwitchyardJSON"]),
    .testTarget(name: "SwitchyardJSONTests", dependencies: ["SwitchyardJSON", "SwitchyardCore"]),
    .testTarget(name: "SwitchyardRuntimeTests", dependencies: ["SwitchyardRuntime", "SwitchyardEmulator"]),
]

// MARK: - LLM area: outbound HTTP (libcurl), AWS SigV4 + Secrets Manager, LLM providers, the llm-caller function

let llmTargets: [Target] = [
    .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
    .target(name: "SwitchyardHTTP", dependencies: ["CCurl", "SwitchyardCore"]),
    .target(name: "SwitchyardAWS", dependencies: ["CCrypto", "SwitchyardHTTP", "SwitchyardCore", "SwitchyardJSON"]),
    .testTarget(name: "SwitchyardHTTPTests", dependencies: ["SwitchyardHTTP"]),
    .testTarget(name: "SwitchyardAWSTests", dependencies: ["SwitchyardAWS", "SwitchyardHTTP", "SwitchyardJSON", "SwitchyardCore"]),
    .target(name: "SwitchyardProviders", dependencies: ["CZlib", "SwitchyardHTTP", "SwitchyardAWS", "SwitchyardJSON", "SwitchyardCore"]),
    .target(
        name: "SwitchyardLLMCaller",
        dependencies: ["SwitchyardProviders", "SwitchyardAWS", "SwitchyardHTTP", "SwitchyardRuntime", "SwitchyardJSON", "SwitchyardCore"]
    ),
    .executableTarget(name: "LLMCallerFunction", dependencies: ["SwitchyardLLMCaller", "SwitchyardRuntime", "SwitchyardCore"]),
    .executableTarget(name: "LLMCallTool", dependencies: ["SwitchyardLLMCaller", "SwitchyardProviders", "SwitchyardJSON", "SwitchyardCore"]),
    .testTarget(
        name: "SwitchyardProvidersTests",
        dependencies: ["SwitchyardProviders", "SwitchyardLLMCaller", "SwitchyardAWS", "SwitchyardHTTP", "SwitchyardJSON", "SwitchyardCore", "CZlib"],
        exclude: ["Fixtures"]
    ),
]

// MARK: - Usage area: billing arithmetic, usage records, the MongoDB sink, the usage-logger function

let usageTargets: [Target] = [
    .target(name: "SwitchyardBilling", dependencies: ["SwitchyardCore", "SwitchyardJSON"]),
    .target(name: "SwitchyardUsage", dependencies: ["CMongoC", "SwitchyardBilling", "SwitchyardCore", "SwitchyardJSON"]),
    .target(
        name: "SwitchyardUsageLogger",
        dependencies: ["SwitchyardUsage", "SwitchyardBilling", "SwitchyardRuntime", "SwitchyardCore", "SwitchyardJSON"]
    ),
    .target(name: "SwitchyardUsageSignals", dependencies: ["SwitchyardUsage", "SwitchyardRouting", "SwitchyardCore"]),
    .executableTarget(name: "UsageLoggerFunction", dependencies: ["SwitchyardUsageLogger", "SwitchyardRuntime", "SwitchyardCore"]),
    .executableTarget(
        name: "UsageIngestTool", dependencies: ["SwitchyardUsage", "SwitchyardBilling", "SwitchyardCore", "SwitchyardJSON"]
    ),
    .testTarget(name: "SwitchyardBillingTests", dependencies: ["SwitchyardBilling", "SwitchyardJSON"]),
    .testTarget(
        name: "SwitchyardUsageTests",
        dependencies: [
            "SwitchyardUsage", "SwitchyardUsageLogger", "SwitchyardUsageSignals", "SwitchyardBilling", "SwitchyardJSON",
            "SwitchyardRuntime", "SwitchyardRouting", "SwitchyardCore",
        ]
    ),
]

// MARK: - Vision area: JPEG/PNG decoding, YOLOv8 pre/post-processing, model backends, the vision function

let visionTargets: [Target] = [
    .systemLibrary(name: "CTurboJPEG", pkgConfig: "libturbojpeg", providers: [.apt(["libturbojpeg0-dev"])]),
    // C, not a system library: libpng reports errors by longjmp, which must not cross Swift frames.
    .target(name: "CPNG", linkerSettings: [.linkedLibrary("png16")]),
    .target(
        name: "SwitchyardVision",
        dependencies: ["CTurboJPEG", "CPNG", "SwitchyardCore", "SwitchyardJSON", "SwitchyardHTTP", "SwitchyardAWS", "SwitchyardRuntime"]
    ),
    .executableTarget(name: "VisionFunction", dependencies: ["SwitchyardVision", "SwitchyardRuntime", "SwitchyardCore"]),
    .executableTarget(name: "VisionTool", dependencies: ["SwitchyardVision", "SwitchyardCore", "SwitchyardJSON"]),
    .testTarget(
        name: "SwitchyardVisionTests", dependencies: ["SwitchyardVision", "SwitchyardCore", "SwitchyardJSON", "SwitchyardHTTP", "CZlib"]
    ),
    .testTarget(name: "SwitchyardCoreTests", dependencies: ["SwitchyardCore"]),
]

// MARK: - Routing area: policy, classifiers, live signals, the router function and its tools

let routingTargets: [Target] = [
    .target(name: "SwitchyardRouting", dependencies: ["SwitchyardCore", "SwitchyardJSON", "SwitchyardRuntime", "SwitchyardHTTP"]),
    .executableTarget(
        name: "RouterFunction",
        dependencies: ["SwitchyardRouting", "SwitchyardRuntime", "SwitchyardCore", "SwitchyardUsage", "SwitchyardUsageSignals"]
    ),
    // Developer tools; Swift 5 mode keeps their top-level scripts free of isolation boilerplate.
    .executableTarget(
        name: "RouterBenchmark", dependencies: ["SwitchyardRouting", "SwitchyardJSON"], swiftSettings: [.swiftLanguageMode(.v5)]
    ),
    .executableTarget(
        name: "RouterEval", dependencies: ["SwitchyardRouting", "SwitchyardCore", "SwitchyardJSON", "SwitchyardHTTP"],
        swiftSettings: [.swiftLanguageMode(.v5)]
    ),
    .testTarget(
        name: "SwitchyardRoutingTests",
        dependencies: ["SwitchyardRouting", "SwitchyardCore", "SwitchyardJSON", "SwitchyardRuntime"]
    ),
]

let package = Package(
    name: "Switchyard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "router-function", targets: ["RouterFunction"]),
        .executable(name: "switchyard-emulator", targets: ["LambdaEmulator"]),
        .executable(name: "echo-function", targets: ["EchoFunction"]),
        .executable(name: "usage-ingest", targets: ["UsageIngestTool"]),
        .executable(name: "usage-logger-function", targets: ["UsageLoggerFunction"]),
        .executable(name: "runtime-probe-function", targets: ["RuntimeProbeFunction"]),
        .executable(name: "vision-tool", targets: ["VisionTool"]),
        .executable(name: "vision-function", targets: ["VisionFunction"]),
        .executable(name: "llm-caller-function", targets: ["LLMCallerFunction"]),
        .executable(name: "llm-call", targets: ["LLMCallTool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: systemLibraries + foundationTargets + llmTargets + usageTargets + visionTargets + routingTargets
)
