/// Fixed-width text columns for the tables `validate` prints.
enum TextColumns {
    /// Each column padded to its width (0: as wide as its text, then one
    /// space), trailing spaces cut so a short row ends where its text does.
    static func line(_ columns: [String], widths: [Int]) -> String {
        var line = zip(columns, widths).map { column, width in
            width == 0 || column.count >= width ? column + " " : column + String(repeating: " ", count: width - column.count)
        }.joined()
        while line.last == " " { line.removeLast() }
        return line
    }
}
