// swift-tools-version: 6.1
//
// SynShadow: watches the kernel's TCP passive open with eBPF and checks it,
// live, against a shadow model. Data flows one way:
//   bpf/ (kernel) -> CSynShadowLoader (libbpf) -> SynShadowLive (ring buffer,
//   decoding) -> SynShadowCore (model, findings) -> synshadow (outputs).
import PackageDescription

let package = Package(
    name: "SynShadow",
    products: [
        .executable(name: "synshadow", targets: ["synshadow"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.0"),
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
        // The live side: loading, tiers, the ring-buffer consumer, the start-up checks.
        .target(
            name: "SynShadowLive",
            dependencies: ["SynShadowCore", "CSynShadowLoader", "CSynShadowSystem", "SynShadowBPFObject"]
        ),
        // The figures out of the process: the Prometheus endpoint (its own
        // small HTTP/1.1 server on POSIX sockets) and OTLP/HTTP export (protobuf
        // written directly; https through the toolchain's FoundationNetworking).
        // No package dependency: the model's exact snapshot needs no metrics library.
        .target(name: "SynShadowMetrics", dependencies: ["SynShadowCore"]),
        .executableTarget(
            name: "synshadow",
            dependencies: [
                "SynShadowCore",
                "SynShadowLive",
                "SynShadowMetrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "SynShadowCoreTests",
            dependencies: [
                "SynShadowCore",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        // The command line's pure parts (the `top` screen), without the kernel.
        .testTarget(
            name: "SynShadowCLITests",
            dependencies: ["synshadow", "SynShadowCore"]
        ),
        .testTarget(
            name: "SynShadowLiveTests",
            dependencies: [
                "SynShadowCore", "SynShadowLive", "CSynShadowLoader",
            ]
        ),
        .testTarget(
            name: "SynShadowMetricsTests",
            dependencies: ["SynShadowCore", "SynShadowMetrics"]
        ),
    ]
)
