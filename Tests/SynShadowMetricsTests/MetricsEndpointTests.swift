import SynShadowMetrics
import Testing

/// `--metrics-listen ADDR:PORT`: numeric IPv4, bracketed IPv6, a real port.
struct MetricsEndpointTests {
    @Test(arguments: [
        ("127.0.0.1:9464", "127.0.0.1", UInt16(9464), false),
        ("0.0.0.0:1", "0.0.0.0", UInt16(1), false),
        ("[::1]:9464", "::1", UInt16(9464), true),
        ("[::]:65535", "::", UInt16(65535), true),
        ("[fe80::1:2]:80", "fe80::1:2", UInt16(80), true),
    ])
    func acceptsNumericAddresses(text: String, address: String, port: UInt16, isIPv6: Bool) throws {
        let endpoint = try MetricsEndpoint(parsing: text)
        #expect(endpoint.address == address)
        #expect(endpoint.port == port)
        #expect(endpoint.isIPv6 == isIPv6)
        #expect(endpoint.description == text)
    }

    @Test(arguments: [
        ("9464", "no ':PORT'"),
        ("127.0.0.1", "no ':PORT'"),
        ("127.0.0.1:", "is not a port"),
        ("127.0.0.1:0", "is not a port"),
        ("127.0.0.1:65536", "is not a port"),
        ("127.0.0.1:http", "is not a port"),
        ("localhost:9464", "is not an IPv4 address"),
        ("256.0.0.1:9464", "is not an IPv4 address"),
        ("::1:9464", "in brackets"),
        ("[::1:9464", "no closing ']'"),
        ("[::1]9464", "no ':PORT' after ']'"),
        ("[127.0.0.1]:9464", "is not an IPv6 address"),
    ])
    func rejectsWithOneLineNamingTheFix(text: String, reason: String) {
        #expect {
            try MetricsEndpoint(parsing: text)
        } throws: { error in
            let message = "\(error)"
            return message.contains(reason) && message.contains("127.0.0.1:9464") && !message.contains("\n")
        }
    }
}
