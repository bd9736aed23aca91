// Compiles bpf/synshadow.bpf.c with the toolchain's clang (-target bpf),
// strips DWARF (BTF stays: CO-RE needs it) and embeds the object in the
// SynShadowBPFObject module as a base64 string literal: a literal compiles in
// a blink, where a byte-array literal of the same object takes minutes.
import Foundation
import PackagePlugin

@main
struct EmbedBPFObject: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let bpfDirectory = context.package.directoryURL.appending(path: "bpf")
        let script = context.package.directoryURL.appending(path: "Plugins/EmbedBPFObject/embed-bpf-object.sh")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedBPFObject+Generated.swift")
        // The program, every header beside it, the ABI, the cover's mark and vmlinux.h.
        let headers = try FileManager.default.contentsOfDirectory(atPath: bpfDirectory.path())
            .filter { $0.hasSuffix(".bpf.h") }.sorted()
            .map { bpfDirectory.appending(path: $0) }
        let inputs = [bpfDirectory.appending(path: "synshadow.bpf.c")] + headers + [
            bpfDirectory.appending(path: "abi/include/synshadow_abi.h"),
            bpfDirectory.appending(path: "cover/include/synshadow_cover_mark.h"),
            bpfDirectory.appending(path: "include/vmlinux.h"),
            script,
        ]
        return [
            .buildCommand(
                displayName: "Compiling and embedding the BPF object",
                executable: URL(filePath: "/bin/sh"),
                arguments: [
                    script.path(),
                    try context.tool(named: "clang").url.path(),
                    try context.tool(named: "llvm-objcopy").url.path(),
                    bpfDirectory.path(),
                    context.pluginWorkDirectoryURL.path(),
                    output.path(),
                    try Self.bpfTargetArchitecture(),
                ],
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
    }

    /// The architecture bpf_tracing.h reads probe arguments for
    /// (`-D__TARGET_ARCH_<name>`): the machine the package is built on,
    /// which SwiftPM's build-tool plugins also build for.
    static func bpfTargetArchitecture() throws -> String {
        #if arch(x86_64)
            return "x86"
        #elseif arch(arm64)
            return "arm64"
        #else
            throw PluginError.unsupportedArchitecture
        #endif
    }

    enum PluginError: Error, CustomStringConvertible {
        case unsupportedArchitecture

        var description: String {
            "EmbedBPFObject: the BPF probes read function arguments through bpf_tracing.h, set up here for "
                + "x86_64 (__TARGET_ARCH_x86) and aarch64 (__TARGET_ARCH_arm64) only; add this machine's "
                + "__TARGET_ARCH_ name in Plugins/EmbedBPFObject/plugin.swift"
        }
    }
}
