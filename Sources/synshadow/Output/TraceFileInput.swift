#if canImport(Glibc)
import Glibc
#endif
import SynShadowCore
import SynShadowTracer

/// The trace a command reads (`replay`, `report`): a file, or standard input
/// for "-". A terminal on standard input is refused (a trace is binary), and
/// a FIFO gets `writerTimeout` seconds to start delivering.
enum TraceFileInput {
    /// Seconds a FIFO gets to start delivering before the command gives up.
    static let writerTimeout: Int32 = 10

    /// "standard input" for "-", else the path, as a message may show it.
    static func name(of file: String) -> String { (file == "-" ? "standard input" : file).terminalSafe }

    static func open(_ file: String, command: String) throws -> TraceFileReader {
        guard file == "-" else {
            var info = stat()
            if stat(file, &info) == 0, info.st_mode & S_IFMT == S_IFIFO {
                Terminal.note("\(file.terminalSafe): a FIFO; waiting up to \(writerTimeout) s for a writer")
            }
            return try TraceFileReader(path: file, writerTimeout: writerTimeout)
        }
        guard isatty(STDIN_FILENO) == 0 else {
            throw SessionError(
                "standard input is a terminal, not a trace", fix: "pipe a trace into it: synshadow \(command) - < FILE")
        }
        return try TraceFileReader(descriptor: STDIN_FILENO)
    }
}
