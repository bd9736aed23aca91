/// The names of kinds, hooks, address families and TCP states as bytes,
/// laid out once from their `name`s: a line copies a name with a few word
/// moves instead of going through a String each time.
struct NameTable: Sendable {
    private let bytes: [UInt8]
    /// Start and length in `bytes`, by raw value; a length of -1: no name.
    private let spans: [(start: Int, count: Int)]

    /// `form` turns a name into its bytes on the line (as is, or as a JSON string).
    init(_ names: [(rawValue: Int, name: String)], form: (String) -> [UInt8] = { Array($0.utf8) }) {
        var bytes: [UInt8] = []
        var spans = [(start: Int, count: Int)](
            repeating: (0, -1), count: (names.map(\.rawValue).max() ?? 0) + 1)
        for (rawValue, name) in names {
            let text = form(name)
            spans[rawValue] = (bytes.count, text.count)
            bytes += text
        }
        self.bytes = bytes
        self.spans = spans
    }

    /// Writes the name of `rawValue`; false when it has none.
    @inline(__always)
    func write(_ rawValue: Int, to out: inout ByteWriter) -> Bool {
        guard rawValue < spans.count else { return false }
        let span = spans[rawValue]
        guard span.count >= 0 else { return false }
        bytes.withUnsafeBytes { out.copy($0.baseAddress! + span.start, count: span.count) }
        return true
    }
}

extension NameTable {
    static let kinds = NameTable(EventKind.allCases.map { (Int($0.rawValue), $0.name) })
    /// Hook names as JSON strings, quotes included.
    static let hooksAsJSON = NameTable(Hook.allCases.map { (Int($0.rawValue), $0.name) }) { name in
        var line = LineBuffer()
        line.appendJSONString(name)
        return line.withUnsafeBytes { Array($0) }
    }
    static let families = NameTable([AddressFamily.none, .ipv4, .ipv6].map { (Int($0.rawValue), $0.name) })
    static let states = NameTable(TCPState.allCases.map { (Int($0.rawValue), $0.name) })
}
