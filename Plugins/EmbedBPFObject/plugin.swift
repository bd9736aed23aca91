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
        let inputs = [
            bpfDirectory.appending(path: "synshadow.bpf.c"),
            bpfDirectory.appending(path: "core_fixes.bpf.h"),
            bpfDirectory.appending(path: "abi/include/synshadow_abi.h"),
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
                ],
                inputFiles: inputs,
                outputFiles: [output]
            ),
        ]
    }
}
