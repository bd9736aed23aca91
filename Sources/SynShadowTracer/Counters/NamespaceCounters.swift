#if canImport(Glibc)
import Glibc
#endif
import CSynShadowSystem
import Foundation
import SynShadowCore

/// The kernel's SNMP counters (/proc/net/netstat and /proc/net/snmp) of one
/// network namespace, re-read cheaply from any thread.
///
/// Why this way: a namespace's /proc/net is visible only from inside it.
/// /proc/PID/net of some process in it works only while that process lives
/// (and a PID can be reused); entering the namespace for every reading would
/// cost a thread hop per reading. Instead a helper thread enters it once
/// (setns on the namespace file), opens both files through
/// /proc/thread-self/net and exits. An open /proc/net file keeps its
/// namespace referenced and regenerates its text at every read from offset
/// 0, so later readings are two pread(2)s, exact for that namespace even if
/// every process in it has gone.
public final class NamespaceCounters: @unchecked Sendable {
    /// The namespace's nsfs inode (the model's `netns`).
    public let inode: UInt32
    /// The namespace's own TCP sysctls (tcp_syncookies, ...), read inside it.
    public let settings: KernelSettings
    private let netstat: Int32
    private let snmp: Int32

    /// `namespacePath`: a namespace file (/var/run/netns/NAME, /proc/PID/ns/net);
    /// nil: synshadow's own namespace.
    public init(namespacePath: String?) throws(SessionError) {
        let path = namespacePath ?? "/proc/self/ns/net"
        let namespace = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else {
            throw SessionError(
                "counters: cannot open the network namespace \(path): \(String(cString: strerror(errno)))",
                fix: "pass --netns a namespace file (/var/run/netns/NAME or /proc/PID/ns/net)")
        }
        defer { Glibc.close(namespace) }
        let opening = Opening(namespace: namespace)
        let thread = Thread { opening.run() }
        thread.name = "synshadow-netns-counters"
        thread.start()
        opening.done.wait()
        if let failure = opening.failure {
            for descriptor in [opening.netstat, opening.snmp] where descriptor >= 0 { Glibc.close(descriptor) }
            throw SessionError("counters: \(failure)", fix: "run as root, with --netns naming a live namespace")
        }
        inode = opening.inode
        settings = opening.settings
        netstat = opening.netstat
        snmp = opening.snmp
    }

    deinit {
        Glibc.close(netstat)
        Glibc.close(snmp)
    }

    /// The namespace's counters now.
    public func read() throws(SessionError) -> NetstatSnapshot {
        guard let netstatText = NamespaceCounters.contents(of: netstat),
            let snmpText = NamespaceCounters.contents(of: snmp)
        else {
            throw SessionError("counters: reading /proc/net/netstat failed: \(String(cString: strerror(errno)))")
        }
        return NetstatSnapshot(parsing: netstatText, snmpText)
    }

    private static func contents(of descriptor: Int32) -> String? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8192)
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(bytes.count)) }
            if count < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if count == 0 { break }
            bytes += chunk[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The helper thread's work and results: enter, open, read sysctls.
    private final class Opening: @unchecked Sendable {
        let namespace: Int32
        let done = DispatchSemaphore(value: 0)
        var netstat: Int32 = -1
        var snmp: Int32 = -1
        var inode: UInt32 = 0
        var settings = KernelSettings()
        var failure: String?

        init(namespace: Int32) { self.namespace = namespace }

        func run() {
            defer { done.signal() }
            let status = ss_enter_network_namespace(namespace)
            guard status == 0 else {
                failure = "setns(CLONE_NEWNET) failed: \(String(cString: strerror(-status)))"
                return
            }
            inode = NetworkNamespace.inode(ofPath: "/proc/thread-self/ns/net") ?? 0
            netstat = Glibc.open("/proc/thread-self/net/netstat", O_RDONLY | O_CLOEXEC)
            snmp = Glibc.open("/proc/thread-self/net/snmp", O_RDONLY | O_CLOEXEC)
            guard netstat >= 0, snmp >= 0 else {
                failure = "cannot open the namespace's /proc/net/netstat and snmp: \(String(cString: strerror(errno)))"
                return
            }
            // /proc/sys/net resolves to the opener's namespace: this one.
            settings = KernelSettingsReader.current()
        }
    }
}
