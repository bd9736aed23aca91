#if canImport(Glibc)
import Glibc
#endif

/// The running kernel's release (uname -r).
public func kernelRelease() -> String {
    var name = utsname()
    uname(&name)
    return withUnsafeBytes(of: name.release) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
}
