import Foundation
import SynShadowCore

/// Reads the passive-open sysctls the model needs, from the namespace the
/// caller runs in (/proc/sys is per network namespace).
public enum KernelSettingsReader {
    public static func current(procSys: String = "/proc/sys") -> KernelSettings {
        func value(_ name: String) -> Int? {
            (try? String(contentsOfFile: "\(procSys)/net/ipv4/\(name)", encoding: .utf8))
                .flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        return KernelSettings(
            syncookies: value("tcp_syncookies"),
            abortOnOverflow: value("tcp_abort_on_overflow").map { $0 != 0 },
            synAckRetries: value("tcp_synack_retries") ?? 5)
    }
}

/// The sysctls of any network namespace, by inode: read from inside it (the
/// calling thread enters it for the reading, then returns). A listener's
/// owner names its namespace's file cheaply; otherwise every namespace on
/// the machine is listed once more.
public final class NamespaceSettingsReader {
    private var paths: [UInt32: String] = [:]

    public init() {}

    public func settings(netns: UInt32, ownerPid: UInt32) -> KernelSettings? {
        guard let path = path(of: netns, ownerPid: ownerPid) else { return nil }
        var settings: KernelSettings?
        let entered = NetworkNamespace.inside(path) { settings = KernelSettingsReader.current() }
        return entered ? settings : nil
    }

    private func path(of netns: UInt32, ownerPid: UInt32) -> String? {
        if ownerPid != 0 {
            let candidate = "/proc/\(ownerPid)/ns/net"
            if NetworkNamespace.inode(ofPath: candidate) == netns { return candidate }
        }
        if let known = paths[netns], NetworkNamespace.inode(ofPath: known) == netns { return known }
        for namespace in NetworkNamespace.all() { paths[namespace.inode] = namespace.path }
        return paths[netns]
    }
}
