import ArgumentParser
import SynShadowTracer

/// How a command ends on a failure it cannot go past (no root, a tier that
/// does not load, a file it cannot write): one line naming the cause and the
/// fix on stderr, the kernel's log too with --verbose, and exit status 1,
/// rather than ArgumentParser's own "Error:" report.
enum CommandFailure {
    /// Runs `body`; an error it throws ends the command that way. `context`
    /// prefixes errors that do not already explain themselves as a
    /// `SessionError` (a socket call of the demo, a file name).
    static func reported<T>(verbose: Bool = false, context: String? = nil, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ExitCode {
            throw error
        } catch let error as SessionError {
            throw ExitCode(Terminal.fail(error, verbose: verbose))
        } catch {
            throw ExitCode(Terminal.fail(SessionError(context.map { "\($0): \(error)" } ?? "\(error)"), verbose: false))
        }
    }
}
