#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file a trace is written to. A trace holds client addresses, process
/// ids and names and the host name, and `record` runs as root: so the file is
/// its owner's alone (mode 0600), is never reached through a symbolic link
/// (which could point anywhere), and an existing file is never overwritten
/// in place. Replacing one, when asked, writes a new file beside it and
/// renames it over the old path once the trace has its header, so a run
/// that fails to start leaves the old file as it was.
public final class TraceOutputFile {
    /// What to do when something already exists at the path.
    public enum Existing: Sendable {
        /// Fail, keeping it.
        case keep
        /// Replace a regular file or a symbolic link (the link itself, never its target).
        case replace
    }

    /// Why the file could not be created.
    public enum Failure: Error, Equatable, CustomStringConvertible {
        /// Something is at the path already (kept as it was).
        case exists(path: String)
        /// Something other than a regular file or a link is at the path (kept).
        case notRegularFile(path: String)
        case system(path: String, reason: String)

        public var description: String {
            switch self {
            case .exists(let path): "\(path) already exists; it is kept"
            case .notRegularFile(let path): "\(path) exists and is not a regular file; it is kept"
            case .system(let path, let reason): "cannot create \(path): \(reason)"
            }
        }
    }

    public let path: String
    /// Open for writing until a writer takes it.
    private var descriptor: Int32
    /// The new file's hidden name while it waits to replace `path`.
    private var pendingName: String?
    /// Whether a trace header went in: from then on the file is the user's.
    /// True until creation succeeds, so a failed init (the path existed)
    /// never removes what is there.
    private var holdsTrace = true

    public init(creating path: String, existing: Existing) throws(Failure) {
        self.path = path
        switch existing {
        case .keep:
            // O_EXCL refuses any existing name, a symbolic link included
            // (dangling or not): nothing is followed, nothing overwritten.
            descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            guard descriptor >= 0 else {
                throw errno == EEXIST ? .exists(path: path) : .system(path: path, reason: systemError())
            }
        case .replace:
            var info = stat()
            if lstat(path, &info) == 0, info.st_mode & S_IFMT != S_IFREG, info.st_mode & S_IFMT != S_IFLNK {
                throw .notRegularFile(path: path)
            }
            var template = Array(Self.hiddenSibling(of: path).utf8CString)
            descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
            guard descriptor >= 0 else { throw .system(path: path, reason: systemError()) }
            pendingName = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        }
        // Whatever the umask: exactly owner read and write.
        _ = fchmod(descriptor, 0o600)
        holdsTrace = false
    }

    deinit {
        if !holdsTrace { discard() }
        if descriptor >= 0 { close(descriptor) }
    }

    /// Hands the open descriptor to the writer, which closes it.
    func takeDescriptor() -> Int32 {
        let taken = descriptor
        descriptor = -1
        return taken
    }

    /// The header is written: the file takes its place (replacing what was at the path).
    func headerWritten() throws(Failure) {
        guard !holdsTrace else { return }
        holdsTrace = true
        guard let pendingName else { return }
        self.pendingName = nil
        if rename(pendingName, path) != 0 {
            let reason = systemError()
            unlink(pendingName)
            throw .system(path: path, reason: "cannot replace it: \(reason)")
        }
    }

    /// Removes a file that never received a trace, so a run that failed to
    /// start leaves nothing behind and an old file it was to replace intact.
    public func discard() {
        guard !holdsTrace else { return }
        holdsTrace = true
        unlink(pendingName ?? path)
        pendingName = nil
    }

    /// A hidden, unique name in the same directory: a rename never crosses file systems.
    private static func hiddenSibling(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." + path + ".synshadow-XXXXXX" }
        return String(path[...slash]) + "." + String(path[path.index(after: slash)...]) + ".synshadow-XXXXXX"
    }
}
