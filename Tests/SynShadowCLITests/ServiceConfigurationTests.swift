import Testing

@testable import synshadow

/// `synshadow service`'s configuration file: trace's own options, one per line.
@Suite struct ServiceConfigurationTests {
    @Test func linesBecomeTraceArguments() throws {
        let configuration = try ServiceConfiguration(
            parsing: """
                # a comment
                metrics-listen = 127.0.0.1:9464

                  port = 443   
                comm = "nginx"
                --counters = 10
                verbose
                """, path: "x.conf")
        #expect(
            configuration.traceArguments == [
                "--findings-only", "--metrics-listen", "127.0.0.1:9464", "--port", "443", "--comm", "nginx",
                "--counters", "10", "--verbose",
            ])
        #expect(configuration.lines.map(\.number) == [2, 4, 5, 6, 7])
        let command = try ServiceCommand.traceCommand(configuration)
        #expect(command.tracing.port == 443)
        #expect(command.tracing.comm == "nginx")
    }

    @Test func aBadLineIsNamedWithItsNumber() {
        func problem(_ text: String) -> String? {
            do {
                let configuration = try ServiceConfiguration(parsing: text, path: "s.conf")
                _ = try ServiceCommand.traceCommand(configuration)
                return nil
            } catch {
                return "\(error)"
            }
        }
        #expect(problem("port = 80\nbogus = 1\n") == "s.conf:2: Unknown option '--bogus'")
        #expect(problem("# x\nport = 99999\n")?.hasPrefix("s.conf:2: --port 99999: out of range") == true)
        #expect(problem("port =\n")?.hasPrefix("s.conf:1: 'port' has no value") == true)
        #expect(problem("json\n")?.hasPrefix("s.conf:1: 'json' is not for a service") == true)
        #expect(problem("duration = 5\n")?.hasPrefix("s.conf:1: 'duration' is not for a service") == true)
        #expect(problem("Port = 1\n")?.hasPrefix("s.conf:1: 'Port = 1' is not an option") == true)
        #expect(problem("port = 80\ncomm = nginx\n") == nil)
    }

    @Test func onlyLiveOptionsKeepTheSession() throws {
        let base = try ServiceConfiguration(parsing: "port = 80\naccept-threshold-ms = 100\n", path: "a")
        let threshold = try ServiceConfiguration(parsing: "port = 80\naccept-threshold-ms = 250\n", path: "a")
        let metrics = try ServiceConfiguration(
            parsing: "port = 80\naccept-threshold-ms = 100\nmetrics-listen = 127.0.0.1:1\n", path: "a")
        let filter = try ServiceConfiguration(parsing: "port = 81\naccept-threshold-ms = 100\n", path: "a")
        let tier = try ServiceConfiguration(parsing: "port = 80\ntier = tracepoint\n", path: "a")
        #expect(base.keepsSession(under: threshold))
        #expect(base.keepsSession(under: metrics))
        #expect(!base.keepsSession(under: filter))
        #expect(!base.keepsSession(under: tier))
    }
}
