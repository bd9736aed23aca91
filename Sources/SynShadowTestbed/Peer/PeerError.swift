#if canImport(Glibc)
import Glibc
#endif

/// Why the scripted peer could not set up or use its TUN device, with the
/// failing call's errno text so a missing precondition is named, not guessed.
public struct PeerError: Error, CustomStringConvertible, Sendable {
    public var cause: String
    public var fix: String?

    public init(_ cause: String, fix: String? = nil) {
        self.cause = cause
        self.fix = fix
    }

    /// A failed system call: `call` names what was attempted, errno says why.
    static func system(_ call: String, code: Int32 = errno, fix: String? = nil) -> PeerError {
        PeerError("\(call): \(String(cString: strerror(code)))", fix: fix)
    }

    public var description: String {
        guard let fix else { return cause }
        return "\(cause) — \(fix)"
    }
}
