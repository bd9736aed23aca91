// swift-tools-version: 6.1
//
// SynShadow: watches the kernel's TCP passive open with eBPF and checks it,
// live, against a shadow model. Data flows one way:
//   bpf/ (kernel) -> ring buffer -> CSynShadowLoader (libbpf, ring reader)
//   -> SynShadowTracer (session, tiers, drain) -> SynShadowCore (decoder,
//   model, findings) -> synshadow and SynShadowMetrics (outputs).
// Modules, one job each: SynShadowCore (pure) <- SynShadowTracer (the live
// tracer) <- SynShadowTestbed (scripted peer, scenarios, load, fixtures:
// what `validate` and the tests drive the kernel with); SynShadowMetrics and
// SynShadowReport read the model's figures out (metrics, the incident page).
import PackageDescription

// SYNSHADOW_STATIC_LINK=1 (scripts/package/build-static.sh): libbpf, libelf
// and zlib linked from Debian's static archives, so a release binary needs
// only the C library.
let linksStatically = Context.environment["SYNSHADOW_STATIC_LINK"] == "1"
let bpfLibraries = ["bpf", "elf", "z"].map { LinkerSetting.linkedLibrary(linksStatically ? ":lib\($0).a" : $0) }

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
        // How the cover of a primary/cover program pair (bpf/cover.bpf.h)
        // knows the kernel skipped the primary, pure C: compiled into the BPF
        // object and for the host, where the tests drive it through nestings.
        .target(name: "CoverMark", dependencies: ["SynShadowABI"], path: "bpf/cover"),
        // libbpf from the system (Debian: libbpf-dev), found through pkg-config.
        .systemLibrary(
            name: "CLibBPF",
            pkgConfig: linksStatically ? nil : "libbpf",
            providers: [.apt(["libbpf-dev", "libelf-dev", "zlib1g-dev"])]
        ),
        // The thin C loader over libbpf.
        .target(
            name: "CSynShadowLoader",
            dependencies: ["SynShadowABI", "CLibBPF"],
            linkerSettings: bpfLibraries
        ),
        // Linux calls Glibc's module map leaves out (namespaces), and https
        // through libcurl opened at run time.
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
            dependencies: ["SynShadowCore", "SynShadowTracer", "CSynShadowLoader", "CSynShadowSystem", "CLibBPF"]
        ),
        // The figures out of the process: the Prometheus endpoint (its own
        // small HTTP/1.1 server on POSIX sockets) and OTLP/HTTP export (protobuf
        // written directly; https through the system's libcurl, loaded at run
        // time, so a static release binary still links only the C library).
        // No package dependency: the model's exact snapshot needs no metrics library.
        .target(name: "SynShadowMetrics", dependencies: ["SynShadowCore", "CSynShadowSystem"]),
        // `synshadow report`: a recorded trace as one self-contained HTML page
        // (inline SVG, one small inline script), drawn from one replay with
        // memory bounded by the listeners, never by the events. Pure, like Core.
        .target(name: "SynShadowReport", dependencies: ["SynShadowCore"]),
        .executableTarget(
            name: "synshadow",
            dependencies: [
                "SynShadowCore",
                "SynShadowTracer",
                "SynShadowTestbed",
                "SynShadowMetrics",
                "SynShadowReport",
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
            dependencies: [
                "SynShadowCore", "SynShadowTracer", "SynShadowTestbed", "CSynShadowLoader", "SynShadowBPFObject",
                "CoverMark",
            ]
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
                "SynShadowCore", "SynShadowTracer", "SynShadowTestbed", "CSynShadowLoader",
            ]
        ),
        .testTarget(
            name: "SynShadowMetricsTests",
            dependencies: ["SynShadowCore", "SynShadowMetrics"]
        ),
        // The incident report against real recorded traces (Fixtures/, read
        // through #filePath), without the kernel.
        .testTarget(
            name: "SynShadowReportTests",
            dependencies: ["SynShadowCore", "SynShadowReport", "SynShadowTestbed"],
            exclude: ["Fixtures"]
        ),
    ]
)
