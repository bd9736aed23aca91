import Foundation

/// The figures an incident page shows and embeds, as the tests read them
/// back, from the page as written or from the DOM a browser rendered.
public enum ShownFigures {
    /// (path, text) of each `<span data-figure="path">text</span>`.
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

    /// The page's `synshadow-figures` JSON block; nil when it has none.
    public static func embedded(_ html: String) -> [String: Any]? {
        guard let start = html.range(of: "id=\"synshadow-figures\">"),
            let end = html.range(of: "</script>", range: start.upperBound..<html.endIndex)
        else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(html[start.upperBound..<end.lowerBound].utf8)))
            as? [String: Any]
    }

    /// The number at a `data-figure` path ("listeners.0.syns") in the embedded figures.
    public static func value(at path: String, in figures: [String: Any]) -> UInt64? {
        var value: Any? = figures
        for key in path.split(separator: ".").map(String.init) {
            if let array = value as? [Any], let index = Int(key) {
                value = index < array.count ? array[index] : nil
            } else {
                value = (value as? [String: Any])?[key]
            }
        }
        return (value as? NSNumber)?.uint64Value
    }
}
