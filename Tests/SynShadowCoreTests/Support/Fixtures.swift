import SynShadowCore

/// Shared constants for hand-built event streams.
enum Fixtures {
    static let millisecond: UInt64 = 1_000_000
    static let second: UInt64 = 1_000_000_000
    static let netns: UInt32 = 4_026_531_840

    static func ipv4(_ text: String) -> IPAddress { IPAddress(text)! }

    static func flow(
        client: String = "192.168.1.10", clientPort: UInt16 = 40_000, server: String = "10.0.0.1",
        port: UInt16 = 8080, netns: UInt32 = Fixtures.netns
    ) -> FlowKey {
        let family: AddressFamily = client.contains(":") ? .ipv6 : .ipv4
        return FlowKey(
            netns: netns, family: family, localAddress: IPAddress(server)!, localPort: port,
            remoteAddress: IPAddress(client)!, remotePort: clientPort)
    }

    static func listenerKey(address: String = "0.0.0.0", port: UInt16 = 8080, netns: UInt32 = Fixtures.netns) -> FlowKey {
        let family: AddressFamily = address.contains(":") ? .ipv6 : .ipv4
        return FlowKey(
            netns: netns, family: family, localAddress: IPAddress(address)!, localPort: port,
            remoteAddress: IPAddress(family == .ipv6 ? "::" : "0.0.0.0")!, remotePort: 0)
    }
}
