/// The kernel's own SNMP/MIB counters (/proc/net/netstat and /proc/net/snmp)
/// for one network namespace, named as `nstat` names them: `TcpExtListenOverflows`,
/// `TcpExtListenDrops`, `TcpExtTCPReqQFullDrop`, `TcpExtSyncookiesSent`, `TcpPassiveOpens`...
public struct NetstatSnapshot: Sendable, Equatable {
    public private(set) var values: [String: Int64] = [:]

    public init(values: [String: Int64] = [:]) {
        self.values = values
    }

    /// Parses the two-line "Prefix: names" / "Prefix: values" blocks of
    /// /proc/net/netstat and /proc/net/snmp (any number of texts).
    public init(parsing texts: String...) {
        for text in texts {
            let lines = text.split(separator: "\n")
            var index = 0
            while index + 1 < lines.count {
                let header = lines[index].split(separator: " ")
                let numbers = lines[index + 1].split(separator: " ")
                guard let prefix = header.first, numbers.first == prefix, header.count == numbers.count else {
                    index += 1
                    continue
                }
                let group = prefix.dropLast()  // "TcpExt:" -> "TcpExt"
                for (name, value) in zip(header.dropFirst(), numbers.dropFirst()) {
                    if let number = Int64(value) { values[String(group) + String(name)] = number }
                }
                index += 2
            }
        }
    }

    public subscript(name: String) -> Int64 { values[name] ?? 0 }

    /// Counter increases since `earlier`, only the ones that moved.
    public func delta(since earlier: NetstatSnapshot) -> [String: Int64] {
        var moved: [String: Int64] = [:]
        for (name, value) in values where value != earlier[name] {
            moved[name] = value - earlier[name]
        }
        return moved
    }
}
