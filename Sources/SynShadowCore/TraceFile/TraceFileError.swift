/// Why a trace file cannot be read (or written). Every case names the byte
/// offset where reading stopped, so the one-line message points at the damage.
public enum TraceFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file has no bytes at all.
    case empty
    /// The file does not start with the trace magic: not a SynShadow trace.
    case foreign(offset: Int)
    /// Written by a newer SynShadow whose format this build cannot read.
    case futureVersion(version: Int, supported: Int, offset: Int)
    /// The file ends inside a structure (an interrupted write or a cut copy).
    case truncated(offset: Int, needed: Int, available: Int, what: String)
    /// A structure is damaged: bad checksum, impossible length, bad record.
    case corrupted(offset: Int, reason: String)
    /// The operating system refused to open, read or write it.
    case io(offset: Int, reason: String)

    /// Where reading stopped (0 for an empty file).
    public var offset: Int {
        switch self {
        case .empty: 0
        case .foreign(let offset), .futureVersion(_, _, let offset), .truncated(let offset, _, _, _),
            .corrupted(let offset, _), .io(let offset, _):
            offset
        }
    }

    public var description: String {
        switch self {
        case .empty:
            "empty file (0 bytes): not a SynShadow trace"
        case .foreign(let offset):
            "not a SynShadow trace (wrong magic at byte \(offset))"
        case .futureVersion(let version, let supported, let offset):
            "trace format version \(version) at byte \(offset) is newer than this build reads (up to \(supported)): upgrade synshadow"
        case .truncated(let offset, let needed, let available, let what):
            "truncated at byte \(offset): \(what) needs \(needed) bytes, only \(available) left"
        case .corrupted(let offset, let reason):
            "corrupted at byte \(offset): \(reason)"
        case .io(let offset, let reason):
            "I/O error at byte \(offset): \(reason)"
        }
    }
}
