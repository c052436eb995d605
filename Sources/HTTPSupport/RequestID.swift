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
