// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Trainyard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "trainyard", targets: ["trainyard"]),
        .library(name: "TrainyardProtocol", targets: ["TrainyardProtocol"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
    ],
    targets: [
        // libzmq itself (not the separate czmq library); Debian package libzmq3-dev.
        .systemLibrary(
            name: "CZMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"])]
        ),
        // Thread-owned sockets, zero-copy frames and the socket loop that bridges to async code.
        .target(name: "ZeroMQ", dependencies: ["CZMQ"]),
        // What the HTTP servers share: which X-Request-Id values are kept, the header, body and idle timeouts
        // that keep slow clients from holding connections (a guarded Hummingbird HTTP/1 channel), API tokens, and TLS.
        .target(
            name: "HTTPSupport",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Wire protocol v1: header, metadata and payload frames, codec and typed errors.
        .target(name: "TrainyardProtocol", dependencies: ["ZeroMQ"], path: "Sources/Protocol"),
        // What coordinator and workers share about jobs: message bodies and the shard codec.
        .target(
            name: "DistributedTraining",
            dependencies: ["TrainyardProtocol", "TrainyardML", "Tuning", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "Coordinator",
            dependencies: [
                "TrainyardProtocol", "ZeroMQ", "TrainyardML", "DistributedTraining", "ModelRegistry", "Tuning",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "Tuning",
            dependencies: ["TrainyardML", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "Worker",
            dependencies: [
                "TrainyardProtocol", "ZeroMQ", "TrainyardML", "DistributedTraining",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Model registry: content-addressed artifacts, versions, aliases and audit in SQLite; REST API and client.
        .target(
            name: "ModelRegistry",
            dependencies: [
                "TrainyardML", "HTTPSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Inference replicas: payload decoding, hot-swapped models, prediction log, metrics.
        .target(
            name: "Serving",
            dependencies: [
                "TrainyardML", "ModelRegistry", "HTTPSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The ML engine: datasets, histogram GBDT, metrics, model files. Pure Swift, no networking.
        .target(
            name: "TrainyardML",
            dependencies: ["CKernels", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Prefetch hints for the ML core's memory-bound loops (Swift has no intrinsic).
        .target(name: "CKernels"),
        // HTTP/1.1 load generator over SwiftNIO: closed and open loop, HDR latency histogram.
        .target(
            name: "LoadTesting",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
            ]
        ),
        // Round-robin HTTP/1.1 reverse proxy for inference replicas, directly on SwiftNIO.
        .target(
            name: "Proxy",
            dependencies: [
                "HTTPSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Argument parsing and wiring only; no logic of its own.
        .target(
            name: "TrainyardCLI",
            dependencies: [
                "Coordinator", "Worker", "TrainyardProtocol", "ZeroMQ", "TrainyardML", "DistributedTraining", "Proxy", "ModelRegistry", "Serving", "LoadTesting", "HTTPSupport", "Tuning",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "trainyard", dependencies: ["TrainyardCLI"]),
        .executableTarget(
            name: "TransportBench",
            dependencies: [
                "Coordinator", "TrainyardProtocol", "ZeroMQ",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/transport/Sources/TransportBench"
        ),
        .target(name: "BenchSupport", dependencies: ["TrainyardML"], path: "bench/Support"),
        .executableTarget(name: "GBDTBench", dependencies: ["BenchSupport", "TrainyardML"], path: "bench/gbdt/Sources/GBDTBench"),
        .executableTarget(name: "LinearBench", dependencies: ["BenchSupport", "TrainyardML"], path: "bench/linear/Sources/LinearBench"),
        .executableTarget(name: "CSVBench", dependencies: ["TrainyardML"], path: "bench/csv/Sources/CSVBench"),
        .target(name: "TestSupport", dependencies: ["ZeroMQ", "TrainyardProtocol"], path: "Tests/Support"),
        // Fuzz targets' entries (bench/fuzz/run.sh), also replayed over their corpus by FuzzTests.
        .target(
            name: "FuzzTargets",
            dependencies: [
                "TrainyardProtocol", "ZeroMQ", "TrainyardML", "Serving", "Proxy", .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Tests/Fuzz/Targets"
        ),
        .testTarget(name: "FuzzTests", dependencies: ["FuzzTargets"]),
        .testTarget(name: "ZeroMQTests", dependencies: ["ZeroMQ"]),
        .testTarget(name: "HTTPSupportTests", dependencies: ["HTTPSupport", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(
            name: "LoadTestTests",
            dependencies: [
                "LoadTesting",
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "TuningTests", dependencies: ["Tuning", "TrainyardML"]),
        .testTarget(name: "MLTests", dependencies: ["TrainyardML", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ProtocolTests", dependencies: ["TrainyardProtocol", "ZeroMQ"]),
        .testTarget(name: "CoordinatorTests", dependencies: ["Coordinator", "TrainyardProtocol", "DistributedTraining", "ModelRegistry", "TrainyardML"]),
        .testTarget(name: "WorkerTests", dependencies: [
            "Worker", "TrainyardProtocol", "TrainyardML", "DistributedTraining", "ZeroMQ", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .testTarget(
            name: "ProxyTests",
            dependencies: [
                "Proxy", "HTTPSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "ClusterTests",
            dependencies: ["TestSupport", "TrainyardProtocol", "ZeroMQ", "TrainyardML"]
        ),
        .testTarget(
            name: "RegistryTests",
            dependencies: [
                "ModelRegistry", "TrainyardML",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .testTarget(name: "ServingTests", dependencies: ["Serving", "TrainyardML", .product(name: "Yams", package: "Yams"), .product(name: "Hummingbird", package: "hummingbird")]),
        .testTarget(
            name: "ServingProcessTests",
            dependencies: [
                "TestSupport", "TrainyardML", "ModelRegistry", "LoadTesting",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "InteropTests", dependencies: ["TestSupport"]),
        .testTarget(
            name: "DeploymentTests",
            dependencies: [
                "TrainyardCLI", "TestSupport", "TrainyardML", "Serving", "Coordinator",
                .product(name: "Yams", package: "Yams"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// libFuzzer builds, by bench/fuzz/run.sh only: the code under test is instrumented for coverage and
// AddressSanitizer, and the TrainyardFuzz driver links libFuzzer.
if Context.environment["TRAINYARD_FUZZ"] == "1" {
    let sanitize = ["-sanitize=fuzzer,address"]
    let instrumented: Set = ["TrainyardProtocol", "TrainyardML", "Serving", "Proxy", "HTTPSupport", "FuzzTargets"]
    for target in package.targets where instrumented.contains(target.name) {
        target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(sanitize)]
    }
    package.targets.append(.executableTarget(
        name: "TrainyardFuzz", dependencies: ["FuzzTargets"], path: "Tests/Fuzz/Driver",
        // gold fails on this link with an internal error; the toolchain's lld links it.
        linkerSettings: [.unsafeFlags(sanitize + ["-use-ld=lld"])]
    ))
}
