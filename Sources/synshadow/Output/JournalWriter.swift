import Glibc
import SynShadowCore

/// Findings as journal entries through systemd's native protocol (one
/// datagram of `FIELD=value` lines per entry to the journal's socket), so
/// each finding's fields can be searched and matched on their own:
/// `journalctl -u synshadow SYNSHADOW_ID=syn-dropped-accept-queue-full`.
/// Used when standard output is the journal (`JOURNAL_STREAM`, set by systemd).
final class JournalWriter: @unchecked Sendable {
    static let socketPath = "/run/systemd/journal/socket"

    private let descriptor: Int32
    private var address = sockaddr_un()
    private let formatter: FindingFormatter

    /// nil when the journal's socket cannot be reached.
    init?(origin: UInt64, socketPath: String = JournalWriter.socketPath) {
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            return nil
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        formatter = FindingFormatter(origin: origin)
        guard access(socketPath, W_OK) == 0 else {
            close(descriptor)
            return nil
        }
    }

    deinit { close(descriptor) }

    /// Whether standard output is connected to the journal: systemd sets
    /// JOURNAL_STREAM to the device and inode of that stream.
    static var isStandardOutputJournal: Bool {
        guard let stream = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        var status = stat()
        guard fstat(STDOUT_FILENO, &status) == 0 else { return false }
        return stream == "\(status.st_dev):\(status.st_ino)"
    }

    /// One entry per finding; false when the journal refused it (the caller
    /// prints the line instead, so nothing is lost).
    @discardableResult
    func write(_ finding: Finding) -> Bool {
        send(Self.fields(of: finding, message: formatter.humanLine(finding)))
    }

    /// The journal fields of a finding: MESSAGE and PRIORITY as syslog has
    /// them, the finding's own fields under SYNSHADOW_*.
    static func fields(of finding: Finding, message: String) -> [(String, String)] {
        var fields: [(String, String)] = [
            ("MESSAGE", message),
            ("PRIORITY", String(priority(of: finding.severity))),
            ("SYSLOG_IDENTIFIER", "synshadow"),
            ("SYNSHADOW_ID", finding.id),
            ("SYNSHADOW_SEVERITY", finding.severity.rawValue),
            ("SYNSHADOW_CATEGORY", finding.category.rawValue),
            ("SYNSHADOW_STEP", finding.step.rawValue),
            ("SYNSHADOW_EXPLANATION", finding.explanation),
        ]
        if let listener = finding.listener {
            let address = listener.family == "ipv6" ? "[\(listener.address)]" : listener.address
            fields.append(("SYNSHADOW_LISTENER", "\(address):\(listener.port)"))
            fields.append(("SYNSHADOW_NETNS", String(listener.netns)))
            if let comm = listener.comm { fields.append(("SYNSHADOW_COMM", comm)) }
            if let pid = listener.pid { fields.append(("SYNSHADOW_PID", String(pid))) }
            if let cgroup = listener.cgroup { fields.append(("SYNSHADOW_CGROUP", cgroup)) }
        }
        if let flow = finding.flow { fields.append(("SYNSHADOW_FLOW", flow.text)) }
        if !finding.counters.isEmpty {
            fields.append(("SYNSHADOW_COUNTERS", finding.counters.map(\.rawValue).joined(separator: ",")))
        }
        return fields
    }

    /// syslog's levels: error 3, warning 4, info 6.
    static func priority(of severity: FindingSeverity) -> Int {
        switch severity {
        case .error: 3
        case .warning: 4
        case .info: 6
        }
    }

    /// The native protocol's datagram: `NAME=value\n`, or, for a value with
    /// a newline, `NAME\n` + its length as 64-bit little endian + value + `\n`.
    static func datagram(_ fields: [(String, String)]) -> [UInt8] {
        var bytes: [UInt8] = []
        for (name, value) in fields {
            bytes += name.utf8
            if value.utf8.contains(0x0a) {
                bytes.append(0x0a)
                withUnsafeBytes(of: UInt64(value.utf8.count).littleEndian) { bytes += $0 }
            } else {
                bytes.append(UInt8(ascii: "="))
            }
            bytes += value.utf8
            bytes.append(0x0a)
        }
        return bytes
    }

    private func send(_ fields: [(String, String)]) -> Bool {
        let bytes = Self.datagram(fields)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes {
                    sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress,
                        socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
        return sent == bytes.count
    }
}
