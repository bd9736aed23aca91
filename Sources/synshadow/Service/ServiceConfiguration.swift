/// `synshadow service`'s configuration file: one option of `synshadow trace`
/// per line without its leading dashes (`name = value`, or a flag's name
/// alone), blank lines and `#` comment lines ignored. Kept as `trace`'s own
/// arguments, so every option is checked by the same parser as on the
/// command line, and an error names the file and line it came from.
struct ServiceConfiguration: Equatable {
    struct Line: Equatable {
        var number: Int
        var name: String
        var value: String?

        var arguments: [String] { ["--" + name] + (value.map { [$0] } ?? []) }
    }

    var path: String
    var lines: [Line]

    /// Options a running service applies without a new session: the model
    /// and the kernel's programs stay as they are.
    static let appliedLive: Set<String> = [
        "accept-threshold-ms", "metrics-listen", "metrics-max-listeners", "otlp-endpoint",
    ]
    /// Options that make no sense for a service (it never stops by itself,
    /// prints only findings, and to the journal).
    static let refused: [String: String] = [
        "duration": "a service runs until it is stopped",
        "json": "findings go to the journal, with their fields as journal fields",
        "findings-only": "a service reports findings only, always",
        "help": "run `synshadow trace --help` to list the options",
    ]

    /// `trace`'s arguments, in the file's order, findings only.
    var traceArguments: [String] { ["--findings-only"] + lines.flatMap(\.arguments) }

    /// Whether a running session can take `newer` as it is (only options in
    /// `appliedLive` differ).
    func keepsSession(under newer: ServiceConfiguration) -> Bool {
        sessionLines == newer.sessionLines
    }

    private var sessionLines: [[String]] {
        lines.filter { !Self.appliedLive.contains($0.name) }.map(\.arguments)
    }

    init(path: String, lines: [Line]) {
        self.path = path
        self.lines = lines
    }

    init(parsing text: String, path: String) throws(ServiceConfigurationError) {
        self.path = path
        lines = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            let line = raw.trimmingWhitespace
            if line.isEmpty || line.hasPrefix("#") { continue }
            let name: Substring
            var value: String?
            if let equals = line.firstIndex(of: "=") {
                name = line[..<equals].trimmingWhitespace
                var text = line[line.index(after: equals)...].trimmingWhitespace
                if text.count >= 2, text.first == "\"", text.last == "\"" { text = text.dropFirst().dropLast() }
                guard !text.isEmpty else {
                    throw ServiceConfigurationError(path: path, line: number, "'\(name)' has no value after '='")
                }
                value = String(text)
            } else {
                name = line
            }
            let option = name.hasPrefix("--") ? String(name.dropFirst(2)) : String(name)
            guard !option.isEmpty, option.allSatisfy({ $0.isLowercase || $0.isNumber || $0 == "-" }),
                option.first?.isLowercase == true
            else {
                throw ServiceConfigurationError(
                    path: path, line: number, "'\(line)' is not an option: write `name = value` or a flag's name")
            }
            if let reason = Self.refused[option] {
                throw ServiceConfigurationError(path: path, line: number, "'\(option)' is not for a service: \(reason)")
            }
            lines.append(Line(number: number, name: option, value: value))
        }
    }
}

/// A configuration file that cannot be used, with where and why.
struct ServiceConfigurationError: Error, CustomStringConvertible {
    var path: String
    var line: Int?
    var reason: String

    init(path: String, line: Int? = nil, _ reason: String) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    var description: String { "\(path)\(line.map { ":\($0)" } ?? ""): \(reason)" }
}

extension Substring {
    fileprivate var trimmingWhitespace: Substring {
        let characters = self
        guard let first = characters.firstIndex(where: { !$0.isWhitespace }),
            let last = characters.lastIndex(where: { !$0.isWhitespace })
        else { return characters[characters.endIndex...] }
        return characters[first...last]
    }
}
