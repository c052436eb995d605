/// Classifies header names the proxy treats specially, case-insensitively, without allocating.
enum HeaderName {
    enum Kind {
        /// Connection-scoped (`Connection`, `Keep-Alive`, `Transfer-Encoding`, `TE`, `Trailer`, `Upgrade`, `Proxy-*`):
        /// never forwarded verbatim.
        case hopByHop
        case connection
        case contentLength
        case requestID
        case forwardedFor
        case expect
        case host
        case other
    }

    /// The kind of a header name given as its bytes (ASCII).
    @inline(__always)
    static func kind<Name: Collection<UInt8>>(ofBytes utf8: Name) -> Kind {
        switch utf8.count {
        case 2: return matches(utf8, "te") ? .hopByHop : .other
        case 4: return matches(utf8, "host") ? .host : .other
        case 6: return matches(utf8, "expect") ? .expect : (matches(utf8, "proxy-") ? .hopByHop : .other)
        case 7: return matches(utf8, "upgrade") || matches(utf8, "trailer") ? .hopByHop : proxyPrefixed(utf8)
        case 10:
            if matches(utf8, "connection") { return .connection }
            return matches(utf8, "keep-alive") ? .hopByHop : proxyPrefixed(utf8)
        case 12: return matches(utf8, "x-request-id") ? .requestID : proxyPrefixed(utf8)
        case 14: return matches(utf8, "content-length") ? .contentLength : proxyPrefixed(utf8)
        case 15: return matches(utf8, "x-forwarded-for") ? .forwardedFor : proxyPrefixed(utf8)
        case 17: return matches(utf8, "transfer-encoding") ? .hopByHop : proxyPrefixed(utf8)
        default: return proxyPrefixed(utf8)
        }
    }

    @inline(__always)
    private static func proxyPrefixed<Name: Collection<UInt8>>(_ utf8: Name) -> Kind {
        utf8.count > 6 && matches(utf8.prefix(6), "proxy-") ? .hopByHop : .other
    }

    /// ASCII case-insensitive equality with a lowercase literal made of letters, digits and `-`.
    @inline(__always)
    static func matches<Name: Collection<UInt8>>(_ name: Name, _ lowercase: StaticString) -> Bool {
        guard name.count == lowercase.utf8CodeUnitCount else { return false }
        return lowercase.withUTF8Buffer { expected in
            var i = 0
            for byte in name {
                if byte | 0x20 != expected[i] { return false }
                i += 1
            }
            return true
        }
    }

    /// Comma-separated tokens of a header value, trimmed, as ranges.
    static func tokens(in value: Slice<HeadBytes>) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = value.startIndex
        func add(_ end: Int) {
            var lower = start
            var upper = end
            while lower < upper, value[lower] == UInt8(ascii: " ") || value[lower] == UInt8(ascii: "\t") { lower += 1 }
            while upper > lower, value[upper - 1] == UInt8(ascii: " ") || value[upper - 1] == UInt8(ascii: "\t") { upper -= 1 }
            if upper > lower { result.append(lower..<upper) }
        }
        for index in value.indices where value[index] == UInt8(ascii: ",") {
            add(index)
            start = index + 1
        }
        add(value.endIndex)
        return result
    }
}
