#if canImport(Glibc)
import Glibc
#endif

/// The terminal `top` draws on. On a TTY: the alternate screen, a hidden
/// cursor, keys read without echo, and each frame redrawn in place; all of
/// it undone by `leave()` (idempotent, also on Ctrl-C and SIGTERM through the
/// run loop). Anywhere else: plain lines, no escape codes.
final class TopTerminal {
    /// Standard output is a terminal: redraw in place.
    let isInteractive: Bool
    private var savedInput: termios?
    private var isActive = false
    /// Off a terminal, frames go through a bounded queue: a slow reader
    /// sheds frames, never holds the drain.
    private lazy var plainOutput: OutputQueue? = isInteractive ? nil : OutputQueue()

    init(interactive: Bool = isatty(STDOUT_FILENO) == 1) {
        isInteractive = interactive
    }

    deinit { leave() }

    /// Columns and lines: the terminal's own on a TTY (TIOCGWINSZ), else
    /// COLUMNS and LINES, else 80 by 24.
    var size: (columns: Int, lines: Int) {
        var window = winsize()
        if isInteractive, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &window) == 0, window.ws_col > 0, window.ws_row > 0 {
            return (Int(window.ws_col), Int(window.ws_row))
        }
        return (Self.environment("COLUMNS") ?? 80, Self.environment("LINES") ?? 24)
    }

    /// Switches to the alternate screen and reads keys unbuffered (q quits);
    /// Ctrl-C still raises SIGINT.
    func enter() {
        guard isInteractive, !isActive else { return }
        isActive = true
        if isatty(STDIN_FILENO) == 1 {
            var settings = termios()
            if tcgetattr(STDIN_FILENO, &settings) == 0 {
                savedInput = settings
                settings.c_lflag &= ~tcflag_t(ICANON | ECHO)
                withUnsafeMutableBytes(of: &settings.c_cc) { cc in
                    cc[Int(VMIN)] = 0
                    cc[Int(VTIME)] = 0
                }
                tcsetattr(STDIN_FILENO, TCSANOW, &settings)
            }
        }
        write("\u{1B}[?1049h\u{1B}[?25l\u{1B}[H\u{1B}[2J")
    }

    /// Redraws: cursor home, each line cleared to its end, the rest of the screen cleared.
    func draw(_ lines: [String]) {
        if isInteractive { enter() }
        write(frame(lines))
    }

    /// The bytes of one frame: in place on a TTY; a plain block and a blank line elsewhere.
    func frame(_ lines: [String]) -> String {
        guard isInteractive else { return lines.joined(separator: "\n") + "\n\n" }
        return "\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\r\n") + "\u{1B}[J"
    }

    /// Back to the normal screen, cursor and key handling as they were.
    func leave() {
        guard isActive else { return }
        isActive = false
        write("\u{1B}[?25h\u{1B}[?1049l")
        if var saved = savedInput { tcsetattr(STDIN_FILENO, TCSANOW, &saved) }
        savedInput = nil
    }

    /// Whether `q` (or `Q`) was typed since the last look; never blocks.
    func quitRequested() -> Bool {
        guard isActive, savedInput != nil else { return false }
        var buffer = [UInt8](repeating: 0, count: 16)
        let count = read(STDIN_FILENO, &buffer, buffer.count)
        return count > 0 && buffer.prefix(count).contains { $0 == UInt8(ascii: "q") || $0 == UInt8(ascii: "Q") }
    }

    /// Gives a slow reader two seconds for the frames still queued; returns how many were shed.
    func finishOutput() -> UInt64 {
        guard let plainOutput else { return 0 }
        let written = plainOutput.finish(within: 2)
        return written.shed.total + (written.unwrittenBytes > 0 ? 1 : 0)
    }

    private func write(_ text: String) {
        if let plainOutput {
            plainOutput.appendLine(String(text.dropLast()))
            return
        }
        Terminal.flush()
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeMutableBytes { Glibc.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written <= 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    private static func environment(_ name: String) -> Int? {
        guard let value = getenv(name), let number = Int(String(cString: value)), number > 0 else { return nil }
        return number
    }
}
