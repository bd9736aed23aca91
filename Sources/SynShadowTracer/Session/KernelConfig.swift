import SynShadowABI
import SynShadowCore

extension LiveTracer.Configuration {
    /// The kernel side's configuration, `struct synshadow_config`
    /// (bpf/abi/include/synshadow_abi.h): the one place the user's choices
    /// become what the loader writes into the BPF object. The tier (and with
    /// it the hooks that report) is set by `SessionOptions.tier`, per attempt.
    func kernelConfig(selfCheckPort: UInt16, selfCheckNetns: UInt32) -> synshadow_config {
        var config = synshadow_config()
        config.port = port ?? 0
        config.netns = netns ?? 0
        config.ring_bytes = ringBytes
        config.wakeup_bytes = UInt32(SS_DEFAULT_WAKEUP_BYTES)
        config.self_check_port = selfCheckPort
        config.self_check_netns = selfCheckNetns
        config.accept_exit_stall_us = acceptExitStallMicroseconds
        var filters: UInt32 = 0
        if let family = addressFilter.family {
            filters |= UInt32(SS_FILTER_FAMILY.rawValue)
            config.family = family.rawValue
        }
        if let address = addressFilter.localAddress {
            filters |= UInt32(SS_FILTER_LOCAL_ADDR.rawValue)
            withUnsafeMutableBytes(of: &config.local_addr) { bytes in
                for (index, byte) in address.bytes.enumerated() { bytes[index] = byte }
            }
        }
        if let pid = ownerFilter.pid {
            filters |= UInt32(SS_FILTER_PID.rawValue)
            config.pid = pid
        }
        if let comm = ownerFilter.comm {
            filters |= UInt32(SS_FILTER_COMM.rawValue)
            withUnsafeMutableBytes(of: &config.comm) { bytes in
                for (index, byte) in comm.utf8.prefix(15).enumerated() { bytes[index] = byte }
            }
        }
        if let cgroup = ownerFilter.cgroup {
            filters |= UInt32(SS_FILTER_CGROUP.rawValue)
            config.cgroup_id = cgroup.id
            config.cgroup_level = cgroup.level
        }
        config.filters = UInt16(filters)
        return config
    }
}
