/// The figures an incident page shows, as the tests read them back: (path,
/// text) of each `<span data-figure="path">text</span>`, from the page as
/// written or from the DOM a browser rendered.
public enum ShownFigures {
    public static func parse(_ html: String) -> [(String, String)] {
        var found: [(String, String)] = []
        var rest = html[...]
        while let start = rest.range(of: "data-figure=\"") {
            guard let close = rest.range(of: "\">", range: start.upperBound..<rest.endIndex),
                let end = rest.range(of: "<", range: close.upperBound..<rest.endIndex)
            else { break }
            found.append((String(rest[start.upperBound..<close.lowerBound]), String(rest[close.upperBound..<end.lowerBound])))
            rest = rest[end.lowerBound...]
        }
        return found
    }
}
