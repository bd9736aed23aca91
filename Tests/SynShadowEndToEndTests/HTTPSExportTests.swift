import Foundation
import Testing

extension LiveKernelTests {
    /// `--otlp-endpoint https://...` goes through the system's libcurl, opened
    /// at run time (the binary links only the C library): a real TLS
    /// collector (Python's ssl, a certificate made for the test) receives the
    /// metrics when OTEL_EXPORTER_OTLP_CERTIFICATE names its CA, and an
    /// untrusted certificate is one warning naming why.
    @Suite struct HTTPSExportTests {
        @Test func httpsExportReachesATLSCollector() throws {
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("synshadow-tls-\(getpid())").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let certificate = try Run(
                [
                    "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", directory + "/key.pem",
                    "-out", directory + "/cert.pem", "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1",
                ], timeout: 60)
            try #require(certificate.status == 0, "openssl: \(certificate.stderr)")
            let port = try LoopbackHTTP.freePort()
            let server = Process()
            server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            server.arguments = [
                "python3", "-c",
                """
                import http.server, ssl, sys
                class H(http.server.BaseHTTPRequestHandler):
                    def do_POST(self):
                        self.rfile.read(int(self.headers.get("Content-Length", 0)))
                        print("POST", self.path, self.headers.get("Content-Type"), flush=True)
                        self.send_response(200); self.end_headers()
                    def log_message(self, *a): pass
                s = http.server.HTTPServer(("127.0.0.1", \(port)), H)
                c = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); c.load_cert_chain("\(directory)/cert.pem", "\(directory)/key.pem")
                s.socket = c.wrap_socket(s.socket, server_side=True)
                s.serve_forever()
                """,
            ]
            let received = Pipe()
            server.standardOutput = received
            try server.run()
            // SIGKILL: the test runner may hand its children SIGTERM blocked.
            let stopServer = { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
            defer { stopServer() }
            Thread.sleep(forTimeInterval: 1)
            let endpoint = "https://127.0.0.1:\(port)"
            let trusted = try Run(
                [
                    "OTEL_METRIC_EXPORT_INTERVAL=1000", "OTEL_EXPORTER_OTLP_CERTIFICATE=\(directory)/cert.pem", Run.binary,
                    "trace", "--findings-only", "--otlp-endpoint", endpoint, "--duration", "4",
                ], timeout: 60)
            #expect(trusted.status == 0, "\(trusted.stderr)")
            #expect(!trusted.stderr.contains("warning: OTLP"), "\(trusted.stderr)")
            let untrusted = try Run(
                [
                    "OTEL_METRIC_EXPORT_INTERVAL=1000", Run.binary, "trace", "--findings-only", "--otlp-endpoint",
                    endpoint, "--duration", "3",
                ], timeout: 60)
            stopServer()
            server.waitUntilExit()
            let lines = String(decoding: received.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                .split(separator: "\n")
            print("TLS collector received \(lines.count) POSTs: \(Set(lines))")
            #expect(lines.filter { $0 == "POST /v1/metrics application/x-protobuf" }.count >= 2)
            let warnings = untrusted.stderrLines.filter { $0.contains("warning: OTLP") }
            #expect(warnings.count == 1 && warnings[0].contains("certificate"), "\(untrusted.stderr)")
        }
    }
}
