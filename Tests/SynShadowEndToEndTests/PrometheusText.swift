/// The Prometheus text exposition format, read back: each sample line
/// `name{label="value",...} number`, keyed by name and label set.
struct PrometheusText {
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    private(set) var samples: [Sample] = []
    /// `# TYPE name kind` lines.
    private(set) var types: [String: String] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                if parts.count == 4 { types[String(parts[2])] = String(parts[3]) }
                continue
            }
            guard !line.hasPrefix("#"), let sample = Self.sample(line) else { continue }
            samples.append(sample)
        }
    }

    /// The value of the one sample with this name whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { sample in
            sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value }
        }
        return matching.count == 1 ? matching[0].value : nil
    }

    func all(_ name: String) -> [Sample] { samples.filter { $0.name == name } }

    private static func sample(_ line: Substring) -> Sample? {
        var labels: [String: String] = [:]
        let name: Substring
        var rest: Substring
        if let brace = line.firstIndex(of: "{") {
            name = line[..<brace]
            guard let close = line.lastIndex(of: "}") else { return nil }
            var inside = line[line.index(after: brace)..<close]
            while let equals = inside.firstIndex(of: "=") {
                let key = inside[..<equals].trimmingPrefix(",")
                var cursor = inside.index(equals, offsetBy: 2)  // past ="
                var value = ""
                while cursor < inside.endIndex, inside[cursor] != "\"" {
                    if inside[cursor] == "\\" { cursor = inside.index(after: cursor) }
                    value.append(inside[cursor])
                    cursor = inside.index(after: cursor)
                }
                labels[String(key)] = value
                inside = inside[inside.index(after: cursor)...]
            }
            rest = line[line.index(after: close)...]
        } else {
            guard let space = line.firstIndex(of: " ") else { return nil }
            name = line[..<space]
            rest = line[space...]
        }
        rest = rest.drop { $0 == " " }
        let number = rest.split(separator: " ").first.map(String.init) ?? ""
        guard let value = number == "+Inf" ? Double.infinity : Double(number) else { return nil }
        return Sample(name: String(name), labels: labels, value: value)
    }
}
