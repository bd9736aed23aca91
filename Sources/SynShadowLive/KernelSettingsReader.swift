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
