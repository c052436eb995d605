/// A strict RFC 8259 JSON parser for request bodies, building ``JSONValue`` directly from the
/// bytes: no Foundation objects, no dynamic casts. Batch payloads are mostly numbers, so the
/// number path takes Clinger's exact fast path (a mantissa below 2^53 scaled by an exact
/// power of ten) and falls back to the C library's correctly rounded conversion otherwise.
///
/// Refused, with the byte's line and column: anything RFC 8259 does not allow (trailing
/// commas, leading zeros, single quotes, comments, control characters or invalid escapes in
/// strings, unpaired UTF-16 surrogates, invalid UTF-8), numbers too large for a `Double`,
/// nesting deeper than ``maximumDepth`` (so a hostile body cannot exhaust the stack), and
/// anything after the value. A scalar at the top level is a valid document.
public struct JSONParser {
    /// Deepest nesting of arrays and objects accepted.
    public static let maximumDepth = 512

    /// Parses one JSON document.
    public static func parse(_ bytes: [UInt8]) throws(JSONParseError) -> JSONValue {
        try bytes.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> JSONValue in
            var parser = JSONParser(buffer)
            parser.skipWhitespace()
            let value = try parser.value(depth: 0)
            parser.skipWhitespace()
            if parser.index < buffer.count { throw parser.error("unexpected data after the JSON value") }
            return value
        }
    }

    /// Runs `body` with a parser positioned at the start of `bytes`, for readers that walk a
    /// document of a known shape with the parser's own primitives (same rules, same errors).
    static func scan<Result>(_ bytes: [UInt8], _ body: (inout JSONParser) throws(JSONParseError) -> Result) throws(JSONParseError) -> Result {
        try bytes.withUnsafeBufferPointer { (buffer: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> Result in
            var parser = JSONParser(buffer)
            return try body(&parser)
        }
    }

    private let bytes: UnsafeBufferPointer<UInt8>
    private var index = 0

    /// The next byte, or nil at the end of the input.
    var next: UInt8? { index < bytes.count ? bytes[index] : nil }
    /// Scratch for strings with escapes.
    private var scratch: [UInt8] = []

    private init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    // MARK: Values

    mutating func value(depth: Int) throws(JSONParseError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input, expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return .object(try object(depth: depth + 1))
        case UInt8(ascii: "["): return .array(try array(depth: depth + 1))
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: throw error("unexpected \(describe(bytes[index])), expected a value")
        }
    }

    private mutating func object(depth: Int) throws(JSONParseError) -> JSONObject {
        guard depth <= Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
        index += 1  // {
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return JSONObject(members) }
        while true {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw error(index < bytes.count ? "unexpected \(describe(bytes[index])), expected a member name in double quotes" : "unexpected end of input inside an object")
            }
            let key = try string()
            skipWhitespace()
            try expect(UInt8(ascii: ":"), "':' after a member name")
            skipWhitespace()
            members.append((key, try value(depth: depth)))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input inside an object") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1; skipWhitespace()
            case UInt8(ascii: "}"): index += 1; return JSONObject(members)
            default: throw error("unexpected \(describe(bytes[index])), expected ',' or '}'")
            }
        }
    }

    private mutating func array(depth: Int) throws(JSONParseError) -> [JSONValue] {
        guard depth <= Self.maximumDepth else { throw error("nested deeper than \(Self.maximumDepth) levels") }
        index += 1  // [
        var elements: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return elements }
        while true {
            elements.append(try value(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input inside an array") }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1; skipWhitespace()
            case UInt8(ascii: "]"): index += 1; return elements
            default: throw error("unexpected \(describe(bytes[index])), expected ',' or ']'")
            }
        }
    }

    mutating func literal(_ word: StaticString) throws(JSONParseError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("unexpected end of input, expected '\(word)'") }
        let start = word.utf8Start
        for offset in 0..<count where bytes[index + offset] != start[offset] {
            throw error("invalid literal, expected '\(word)'")
        }
        index += count
    }

    // MARK: Strings

    mutating func string() throws(JSONParseError) -> String {
        index += 1  // opening quote
        let start = index
        var ascii = true
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                let body = UnsafeBufferPointer(rebasing: bytes[start..<index])
                index += 1
                if ascii { return String(decoding: body, as: UTF8.self) }
                guard let text = String(validating: body, as: UTF8.self) else { throw error("invalid UTF-8 in a string", at: start) }
                return text
            }
            if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if byte < 0x20 { throw error("control character \(describe(byte)) in a string; escape it") }
            if byte >= 0x80 { ascii = false }
            index += 1
        }
        throw error("unterminated string", at: start - 1)
    }

    /// The bytes of a string at the current position when it is plain ASCII without escapes,
    /// the parser moved past it; otherwise nil and the parser unmoved (``string()`` decides).
    mutating func plainString() -> UnsafeBufferPointer<UInt8>? {
        var end = index + 1
        while end < bytes.count {
            let byte = bytes[end]
            if byte == UInt8(ascii: "\"") {
                let body = UnsafeBufferPointer(rebasing: bytes[index + 1..<end])
                index = end + 1
                return body
            }
            if byte == UInt8(ascii: "\\") || byte < 0x20 || byte >= 0x80 { return nil }
            end += 1
        }
        return nil
    }

    /// The slow path, from the string's first byte, once an escape is seen.
    private mutating func escapedString(from start: Int) throws(JSONParseError) -> String {
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: bytes[start..<index])
        while index < bytes.count {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\""):
                index += 1
                guard let text = String(validating: scratch, as: UTF8.self) else { throw error("invalid UTF-8 in a string", at: start) }
                return text
            case UInt8(ascii: "\\"):
                index += 1
                guard index < bytes.count else { break }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(escape)
                case UInt8(ascii: "b"): scratch.append(0x08)
                case UInt8(ascii: "f"): scratch.append(0x0c)
                case UInt8(ascii: "n"): scratch.append(0x0a)
                case UInt8(ascii: "r"): scratch.append(0x0d)
                case UInt8(ascii: "t"): scratch.append(0x09)
                case UInt8(ascii: "u"): appendUTF8(try unicodeEscape())
                default: throw error("invalid escape '\\\(describe(escape, quoted: false))' in a string", at: index - 2)
                }
            case 0..<0x20:
                throw error("control character \(describe(byte)) in a string; escape it")
            default:
                scratch.append(byte)
                index += 1
            }
        }
        throw error("unterminated string", at: start - 1)
    }

    /// The scalar of `\uXXXX` (the `\u` already read), joining a surrogate pair.
    private mutating func unicodeEscape() throws(JSONParseError) -> Unicode.Scalar {
        let escapeStart = index - 2
        let high = try hex4()
        if (0xDC00...0xDFFF).contains(high) { throw error("unpaired UTF-16 surrogate in a \\u escape", at: escapeStart) }
        guard (0xD800...0xDBFF).contains(high) else { return Unicode.Scalar(high)! }
        guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
            throw error("unpaired UTF-16 surrogate in a \\u escape", at: escapeStart)
        }
        index += 2
        let low = try hex4()
        guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired UTF-16 surrogate in a \\u escape", at: escapeStart) }
        return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))!
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("unexpected end of input in a \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw error("\\u must be followed by four hex digits")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: Unicode.Scalar) {
        UTF8.encode(scalar) { scratch.append($0) }
    }

    // MARK: Numbers

    private static let powersOfTen: [Double] = (0...22).map { exponent in
        var value = 1.0
        for _ in 0..<exponent { value *= 10 }  // exact: every 10^k for k <= 22 is a Double
        return value
    }

    mutating func number() throws(JSONParseError) -> Double {
        let start = index
        var negative = false
        if bytes[index] == UInt8(ascii: "-") {
            negative = true
            index += 1
        }
        var mantissa: UInt64 = 0
        var significant = 0  // significant digits accumulated in mantissa (and beyond, if > 19)
        var exponent = 0     // decimal exponent to apply to mantissa
        // Integer part: 0, or a non-zero digit then digits.
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("a number needs a digit after '-'", at: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
            if index < bytes.count, isDigit(bytes[index]) { throw error("numbers must not have leading zeros", at: start) }
        } else {
            while index < bytes.count, isDigit(bytes[index]) {
                accumulate(bytes[index], into: &mantissa, significant: &significant, exponent: &exponent, fraction: false)
                index += 1
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("a number needs a digit after '.'", at: start) }
            while index < bytes.count, isDigit(bytes[index]) {
                accumulate(bytes[index], into: &mantissa, significant: &significant, exponent: &exponent, fraction: true)
                index += 1
            }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            var exponentNegative = false
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("a number needs a digit in its exponent", at: start) }
            var explicit = 0
            while index < bytes.count, isDigit(bytes[index]) {
                if explicit < 100_000 { explicit = explicit * 10 + Int(bytes[index] - UInt8(ascii: "0")) }
                index += 1
            }
            exponent += exponentNegative ? -explicit : explicit
        }
        // Clinger's fast path: both operands exact, so the one rounding is IEEE-correct.
        if significant <= 19, mantissa <= 1 << 53, abs(exponent) <= 22 {
            let magnitude = exponent >= 0 ? Double(mantissa) * Self.powersOfTen[exponent] : Double(mantissa) / Self.powersOfTen[-exponent]
            return negative ? -magnitude : magnitude
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw error("number \(text.prefix(40)) is out of range", at: start) }
        return value
    }

    @inline(__always)
    private func accumulate(_ digit: UInt8, into mantissa: inout UInt64, significant: inout Int, exponent: inout Int, fraction: Bool) {
        let value = UInt64(digit - UInt8(ascii: "0"))
        if significant == 0 && value == 0 {
            if fraction { exponent -= 1 }  // leading zeros of 0.00x only move the point
            return
        }
        significant += 1
        if significant <= 19 {
            mantissa = mantissa * 10 + value
            if fraction { exponent -= 1 }
        } else if !fraction {
            exponent += 1  // digits past 19 are dropped; the slow path takes over anyway
        }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    // MARK: Whitespace and errors

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"): index += 1
            default: return
            }
        }
    }

    mutating func expect(_ byte: UInt8, _ what: String) throws(JSONParseError) {
        guard index < bytes.count else { throw error("unexpected end of input, expected \(what)") }
        guard bytes[index] == byte else { throw error("unexpected \(describe(bytes[index])), expected \(what)") }
        index += 1
    }

    private func describe(_ byte: UInt8, quoted: Bool = true) -> String {
        if (0x21...0x7e).contains(byte) { return quoted ? "'\(Character(Unicode.Scalar(byte)))'" : String(Character(Unicode.Scalar(byte))) }
        let hex = String(byte, radix: 16, uppercase: true)
        return "byte 0x" + (hex.count == 1 ? "0" + hex : hex)
    }

    func error(_ message: String, at offset: Int? = nil) -> JSONParseError {
        let offset = min(offset ?? index, bytes.count)
        var line = 1
        var lineStart = 0
        for position in 0..<offset where bytes[position] == UInt8(ascii: "\n") {
            line += 1
            lineStart = position + 1
        }
        return JSONParseError(message: message, offset: offset, line: line, column: offset - lineStart + 1)
    }
}

/// Why a body is not JSON, and where.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// Byte offset of the problem (0-based); line and column are 1-based, the column in bytes.
    public var offset: Int
    public var line: Int
    public var column: Int

    public var description: String { "\(message) at line \(line), column \(column)" }
}
