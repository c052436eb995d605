/// What the `Connection` headers of a head say: `close`, `keep-alive`, and the other names
/// they list, which are hop-by-hop headers too.
struct ConnectionOptions {
    var close = false
    var keepAlive = false
    /// Ranges, in the head's bytes, of the extra header names.
    var names: [Range<Int>] = []

    /// Adds the tokens of one `Connection` header's value.
    mutating func add(_ value: Slice<HeadBytes>, in bytes: HeadBytes) {
        for token in HeaderName.tokens(in: value) {
            if HeaderName.matches(bytes[token], "close") { close = true }
            else if HeaderName.matches(bytes[token], "keep-alive") { keepAlive = true }
            else { names.append(token) }
        }
    }

    /// Removes from `kept` (header lines, as ranges of `bytes`) those whose name `Connection` listed (ASCII
    /// case-insensitive).
    func dropNamed(from kept: inout [Range<Int>], in bytes: HeadBytes) {
        guard !names.isEmpty else { return }
        kept.removeAll { line in
            let name = bytes[HeaderField.name(ofLine: line, in: bytes)]
            return names.contains { bytes[$0].count == name.count && zip(bytes[$0], name).allSatisfy { $0 | 0x20 == $1 | 0x20 } }
        }
    }
}
