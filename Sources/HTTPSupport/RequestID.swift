/// What an `X-Request-Id` a client sends must look like for the proxy and the replicas to pass it on, echo it and
/// store it in the prediction log: 1–128 bytes of letters, digits and `- _ . : + / =` — enough for UUIDs, hex,
/// base64 and trace ids such as `Root=1-5759e988-bd862e3f`. Anything else (an 8 KB value, markup, control or
/// non-ASCII bytes) is dropped and the server makes an id of its own, so that what is echoed and logged is bounded
/// and inert.
public enum RequestID {
    /// The longest id accepted, in bytes.
    public static let maximumLength = 128

    /// Whether `value`, the bytes of a header value, is an id to keep.
    @inlinable
    public static func isAcceptable<Bytes: Collection>(_ value: Bytes) -> Bool where Bytes.Element == UInt8 {
        let count = value.count
        guard count > 0, count <= maximumLength else { return false }
        return value.allSatisfy(isAllowed)
    }

    /// Whether `value` is an id to keep.
    @inlinable
    public static func isAcceptable(_ value: String) -> Bool { isAcceptable(value.utf8) }

    /// The id a server makes for a request that came without an acceptable one: `value` as 16 lowercase hex digits.
    public static func text(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { bytes in
            for i in 0..<16 {
                let digit = UInt8(truncatingIfNeeded: value >> UInt64(60 - 4 * i)) & 0xF
                bytes[i] = digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "a") + digit - 10
            }
            return 16
        }
    }

    /// A new random id (16 hex digits from the system generator).
    public static func random() -> String { text(UInt64.random(in: 0...UInt64.max)) }

    @inlinable
    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: ":"), UInt8(ascii: "+"), UInt8(ascii: "/"),
             UInt8(ascii: "="):
            true
        default:
            false
        }
    }
}
