/// An OTLP `ExportLogsServiceRequest` (opentelemetry-proto `logs/v1`) of
/// findings: one `LogRecord` each, the explanation as the body.
enum OTLPLogsRequest {
    static func encode(_ records: [FindingLogRecord]) -> [UInt8] {
        var request = ProtobufWriter()
        request.message(1) { resourceLogs in
            OTLPCommon.resource(&resourceLogs, field: 1)
            resourceLogs.message(2) { scopeLogs in
                OTLPCommon.scope(&scopeLogs, field: 1)
                for record in records { scopeLogs.message(2) { write(record, into: &$0) } }
            }
        }
        return request.bytes
    }

    /// `LogRecord { time = 1; severity_number = 2; severity_text = 3;
    /// body = 5; attributes = 6; observed_time = 11 }`.
    private static func write(_ record: FindingLogRecord, into log: inout ProtobufWriter) {
        log.fixed64(1, record.observedNanoseconds)
        log.uint(2, record.severity.number)
        log.string(3, record.severity.text)
        log.message(5) { $0.string(1, record.message) }
        for (key, value) in record.attributes.sorted(by: { $0.key < $1.key }) {
            OTLPCommon.attribute(&log, field: 6, key: key, value: value)
        }
        log.fixed64(11, record.observedNanoseconds)
    }
}
