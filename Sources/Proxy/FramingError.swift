/// Why bytes are not valid HTTP/1.x framing: what the shared parsing pieces (``HeaderField``,
/// ``ConnectionOptions``, ``DelimitedBody``) throw; each framer reports it as its own `Malformed`.
struct FramingError: Error {
    let reason: String
}
