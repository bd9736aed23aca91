/// The parts OTLP's metrics and logs requests share (opentelemetry-proto,
/// `common/v1` and `resource/v1`): attributes, the resource that names the
/// service, and the instrumentation scope.
enum OTLPCommon {
    static let serviceName = "synshadow"

    /// `KeyValue { string key = 1; AnyValue value = 2 }`, the value a `string_value` (1).
    static func attribute(_ writer: inout ProtobufWriter, field: Int, key: String, value: String) {
        writer.message(field) { pair in
            pair.string(1, key)
            pair.message(2) { $0.string(1, value) }
        }
    }

    /// `Resource { repeated KeyValue attributes = 1 }` with `service.name`.
    static func resource(_ writer: inout ProtobufWriter, field: Int) {
        writer.message(field) { attribute(&$0, field: 1, key: "service.name", value: serviceName) }
    }

    /// `InstrumentationScope { string name = 1 }`.
    static func scope(_ writer: inout ProtobufWriter, field: Int) {
        writer.message(field) { $0.string(1, serviceName) }
    }
}
