extension String {
    /// This text as it may be shown on a terminal. Process names, host names,
    /// cgroup paths and file names come from other users or other machines;
    /// their control characters (ESC, BEL, CSI...) and invalid UTF-8 become
    /// `\xNN` (see `LineBuffer.appendDisplay`), so nothing can retitle the
    /// window, move the cursor or clear the screen.
    public var terminalSafe: String {
        guard utf8.contains(where: { $0 < 0x20 || $0 >= 0x7f }) else { return self }
        var line = LineBuffer(capacity: utf8.count + 16)
        line.appendDisplay(utf8)
        return line.text
    }
}
