/// Writes one flat JSON object with fields in the order added: stable output
/// for line-oriented consumers, and cheaper than a Codable round trip per event.
public struct JSONObjectWriter: Sendable {
    private var text = "{"
    private var first = true

    public init() {}

    public mutating func add(_ key: String, _ value: String) {
        separator(key)
        text += "\"" + JSONObjectWriter.escape(value) + "\""
    }

    public mutating func add(_ key: String, _ value: UInt64) {
        separator(key)
        text += String(value)
    }

    public mutating func add(_ key: String, _ value: Int64) {
        separator(key)
        text += String(value)
    }

    public mutating func add(_ key: String, _ value: Double) {
        separator(key)
        text += value.isFinite ? String(value) : "null"
    }

    public mutating func add(_ key: String, _ value: Bool) {
        separator(key)
        text += value ? "true" : "false"
    }

    /// Adds an already-encoded JSON value (an array or object).
    public mutating func addRaw(_ key: String, _ json: String) {
        separator(key)
        text += json
    }

    public consuming func finish() -> String { text + "}" }

    private mutating func separator(_ key: String) {
        if !first { text += "," }
        first = false
        text += "\"" + key + "\":"
    }

    public static func escape(_ value: String) -> String {
        var result = ""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}
