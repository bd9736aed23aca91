#if canImport(Glibc)
import Glibc
#endif
import CLibBPF

/// The BPF programs loaded in the kernel right now, by anyone: what the
/// tests count before and after a session to prove a clean detach. A test
/// check, kept here with the test bed rather than in the loader.
public enum LoadedPrograms {
    /// How many loaded programs have a name starting with `prefix` (every
    /// SynShadow program starts with "ss_"); -errno when the kernel's
    /// program list cannot be walked.
    public static func count(prefix: String = "ss_") -> Int {
        var id: UInt32 = 0
        var count = 0
        while bpf_prog_get_next_id(id, &id) == 0 {
            let fd = bpf_prog_get_fd_by_id(id)
            if fd < 0 { continue }
            defer { close(fd) }
            var info = bpf_prog_info()
            var length = UInt32(MemoryLayout<bpf_prog_info>.size)
            guard bpf_obj_get_info_by_fd(fd, &info, &length) == 0 else { continue }
            let name = withUnsafeBytes(of: info.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasPrefix(prefix) { count += 1 }
        }
        return errno == ENOENT || errno == 0 ? count : -Int(errno)
    }
}
