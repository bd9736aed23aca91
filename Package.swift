// swift-tools-version: 6.1
//
// SynShadow: watches the kernel's TCP passive open with eBPF and checks it,
// live, against a shadow model. Data flows one way:
//   bpf/ (kernel) -> ring buffer -> CSynShadowLoader (libbpf, ring reader)
//   -> SynShadowTracer (session, tiers, drain) -> SynShadowCore (decoder,
//   model, findings) -> synshadow and SynShadowMetrics (outputs).
// Modules, one job each: SynShadowCore (pure) <- SynShadowTracer (the live
// tracer) <- SynShadowTestbed (scripted peer, scenarios, load, fixtures:
// what `validate` and the tests drive the kernel with).
import PackageDescription

let package = Package(
    name: "SynShadow",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "synshadow", targets: ["synshadow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
        // Metrics out: Prometheus text on a small HTTP server, and OTLP/HTTP
        // (only that trait: no gRPC in the build).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swhitty/FlyingFox", from: "0.27.1"),
        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0", traits: ["OTLPHTTP"]),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        // The event ABI shared with the BPF programs: bpf/abi/include/synshadow_abi.h.
        .target(name: "SynShadowABI", path: "bpf/abi"),
        // libbpf from the system (Debian: libbpf-dev), found through pkg-config.
        .systemLibrary(
            name: "CLibBPF",
            pkgConfig: "libbpf",
            providers: [.apt(["libbpf-dev", "libelf-dev", "zlib1g-dev"])]
        ),
        // The thin C loader over libbpf.
        .target(
            name: "CSynShadowLoader",
            dependencies: ["SynShadowABI", "CLibBPF"],
            linkerSettings: [.linkedLibrary("bpf"), .linkedLibrary("elf"), .linkedLibrary("z")]
        ),
        // Linux calls Glibc's module map leaves out (namespaces).
        .target(name: "CSynShadowSystem"),
        // The compiled BPF object, built from bpf/ by the plugin at `swift build` time.
        .target(
            name: "SynShadowBPFObject",
            plugins: ["EmbedBPFObject"]
        ),
        .plugin(name: "EmbedBPFObject", capability: .buildTool()),
        // Pure Swift: events, decoding, the shadow model, trace files. No kernel dependency.
        .target(name: "SynShadowCore", dependencies: ["SynShadowABI"]),
        // The live tracer: session, tiers, start-up checks (preflight, self-check),
        // the ring-buffer drain, counters, filters.
        .target(
            name: "SynShadowTracer",
            dependencies: ["SynShadowCore", "CSynShadowLoader", "CSynShadowSystem", "SynShadowBPFObject"]
        ),
        // The test bed `validate` and the tests use: a scripted TCP peer on a TUN
        // device, the fault scenarios and their sandbox, the guest runner, load
        // generators, fixtures.
        .target(
            name: "SynShadowTestbed",
            dependencies: ["SynShadowCore", "SynShadowTracer", "CSynShadowLoader", "CSynShadowSystem"]
        ),
        // The figures out of the process: Prometheus endpoint and OTLP export.
        .target(
            name: "SynShadowMetrics",
            dependencies: [
                "SynShadowCore",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "synshadow",
            dependencies: [
                "SynShadowCore",
                "SynShadowTracer",
                "SynShadowTestbed",
                "SynShadowMetrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SynShadowCoreTests",
            dependencies: [
                "SynShadowCore",
                "SynShadowABI",
                // HalfOpenFlows, the fixture the memory test shares with `bench`.
                "SynShadowTestbed",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        // The command line's pure parts (the `top` screen), without the kernel.
        .testTarget(
            name: "SynShadowCLITests",
            dependencies: ["synshadow", "SynShadowCore"]
        ),
        // The tracer against the real kernel, in process (root, BPF).
        .testTarget(
            name: "SynShadowTracerTests",
            dependencies: ["SynShadowCore", "SynShadowTracer", "SynShadowTestbed", "CSynShadowLoader"]
        ),
        // The scripted peer and the scenarios against the real kernel (root).
        .testTarget(
            name: "SynShadowTestbedTests",
            dependencies: ["SynShadowCore", "SynShadowTracer", "SynShadowTestbed"]
        ),
        // The built `synshadow` binary as a user runs it (root, BPF).
        .testTarget(
            name: "SynShadowEndToEndTests",
            dependencies: [
                "SynShadowCore", "SynShadowTracer", "SynShadowTestbed", .product(name: "FlyingFox", package: "FlyingFox"),
            ]
        ),
        .testTarget(
            name: "SynShadowMetricsTests",
            dependencies: ["SynShadowCore", "SynShadowMetrics"]
        ),
    ]
)
