// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "hbbench", platforms: [.macOS(.v14)],
    dependencies: [.package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1")],
    targets: [
        .executableTarget(name: "hbbench", dependencies: [.product(name: "Hummingbird", package: "hummingbird")])
    ])
