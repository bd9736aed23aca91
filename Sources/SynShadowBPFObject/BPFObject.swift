import Foundation

/// The compiled BPF programs (bpf/synshadow.bpf.c), embedded at build time so
/// the `synshadow` binary is self-contained.
public enum BPFObject {
    /// The ELF object with BTF, ready for `bpf_object__open_mem`.
    public static let bytes: [UInt8] = {
        let text = EmbeddedBPFObject.base64.withUTF8Buffer { String(decoding: $0, as: UTF8.self) }
        guard let data = Data(base64Encoded: text) else {
            preconditionFailure("the embedded BPF object is not valid base64: rebuild")
        }
        return [UInt8](data)
    }()
}
