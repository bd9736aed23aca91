#if canImport(Glibc)
import Glibc
#endif
import CSynShadowSystem
import Foundation
import SynShadowCore

/// A private network namespace owned by one dedicated thread: work submitted
/// with `run` executes inside it, its sysctls and counters are its own, and
/// everything it held (sockets, sysctl settings, routes) disappears with it
/// when the sandbox is released. Nothing on the host is touched.
public final class NetworkNamespaceSandbox: @unchecked Sendable {
    public private(set) var inode: UInt32 = 0
    private let condition = NSCondition()
    private var job: (() -> Void)?
    private var stopping = false
    private var failure: String?
    private var ready = false

    public init() throws(SessionError) {
        let thread = Thread { [self] in serve() }
        thread.name = "synshadow-netns"
        thread.start()
        condition.lock()
        while !ready { condition.wait() }
        condition.unlock()
        if let failure { throw SessionError("network namespace: \(failure)", fix: "run as root") }
    }

    deinit {
        condition.lock()
        stopping = true
        condition.broadcast()
        condition.unlock()
    }

    /// Runs `body` on the sandbox's thread, inside its namespace, and waits.
    public func run<T>(_ body: @escaping () throws -> T) throws -> T {
        var result: Result<T, Error>!
        let done = NSCondition()
        var finished = false
        condition.lock()
        job = {
            result = Result { try body() }
            done.lock()
            finished = true
            done.signal()
            done.unlock()
        }
        condition.broadcast()
        condition.unlock()
        done.lock()
        while !finished { done.wait() }
        done.unlock()
        return try result.get()
    }

    /// The namespace's TCP counters, read from inside it.
    public func counters() throws -> NetstatSnapshot {
        try run {
            let netstat = try String(contentsOfFile: "/proc/thread-self/net/netstat", encoding: .utf8)
            let snmp = try String(contentsOfFile: "/proc/thread-self/net/snmp", encoding: .utf8)
            return NetstatSnapshot(parsing: netstat, snmp)
        }
    }

    /// Sets a per-namespace sysctl such as "net/ipv4/tcp_syncookies"; it dies with the namespace.
    public func setSysctl(_ name: String, _ value: String) throws {
        try run {
            try value.write(toFile: "/proc/sys/" + name, atomically: false, encoding: .utf8)
        }
    }

    private func serve() {
        let status = ss_unshare_network_namespace()
        if status != 0 {
            failure = "unshare(CLONE_NEWNET) failed: \(String(cString: strerror(-status)))"
        } else if let problem = NetworkNamespaceSandbox.bringLoopbackUp() {
            failure = problem
        } else {
            inode = NetworkNamespace.inode(ofPath: "/proc/thread-self/ns/net") ?? 0
        }
        condition.lock()
        ready = true
        condition.broadcast()
        while true {
            while job == nil && !stopping { condition.wait() }
            if let work = job {
                job = nil
                condition.unlock()
                work()
                condition.lock()
                continue
            }
            break
        }
        condition.unlock()
    }

    /// `ip link set lo up`, without iproute2 (the guest has none).
    private static func bringLoopbackUp() -> String? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
        defer { close(fd) }
        var request = ifreq()
        withUnsafeMutableBytes(of: &request.ifr_ifrn.ifrn_name) { name in
            for (index, byte) in "lo".utf8.enumerated() { name[index] = byte }
        }
        guard ioctl(fd, UInt(SIOCGIFFLAGS), &request) == 0 else { return "SIOCGIFFLAGS lo failed" }
        request.ifr_ifru.ifru_flags |= Int16(IFF_UP)
        guard ioctl(fd, UInt(SIOCSIFFLAGS), &request) == 0 else { return "SIOCSIFFLAGS lo failed" }
        return nil
    }
}
