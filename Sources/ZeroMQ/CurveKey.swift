import CZMQ
import Foundation

/// A CurveZMQ key (Curve25519, 32 bytes), public or secret, written as 40 characters of Z85.
///
/// Key pairs come from libsodium through libzmq (`zmq_curve_keypair`), which needs a libzmq
/// built with CURVE: check ``isAvailable`` first; every function here throws
/// ``CurveKeyError/unsupported`` otherwise.
public struct CurveKey: Hashable, Sendable, CustomStringConvertible {
    /// The key's 32 bytes.
    public let bytes: [UInt8]

    /// Whether the linked libzmq supports CURVE (`zmq_has("curve")`).
    public static var isAvailable: Bool { ZMQContext.has("curve") }

    /// A key from its 32 bytes.
    public init(bytes: [UInt8]) throws(CurveKeyError) {
        guard bytes.count == 32 else { throw .malformed("a CURVE key is 32 bytes, got \(bytes.count)") }
        self.bytes = bytes
    }

    /// A key from its 40-character Z85 text.
    public init(z85 text: String) throws(CurveKeyError) {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.utf8.count == 40 else {
            throw .malformed("a CURVE key is 40 characters of Z85, got \(text.utf8.count) characters")
        }
        var bytes = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&bytes, text) != nil else { throw .malformed("'\(text)' is not Z85 text") }
        self.bytes = bytes
    }

    /// The Z85 text (40 characters).
    public var z85: String {
        var text = [CChar](repeating: 0, count: 41)
        _ = zmq_z85_encode(&text, bytes, bytes.count)
        return String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { z85 }

    /// A new key pair from libsodium's random source.
    public static func generatePair() throws(CurveKeyError) -> (public: CurveKey, secret: CurveKey) {
        guard isAvailable else { throw .unsupported }
        var publicText = [CChar](repeating: 0, count: 41), secretText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&publicText, &secretText) == 0 else { throw .unsupported }
        let decode = { (text: [CChar]) in String(decoding: text.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return (try CurveKey(z85: decode(publicText)), try CurveKey(z85: decode(secretText)))
    }

    /// The public key of this secret key (`zmq_curve_public`).
    public func publicKey() throws(CurveKeyError) -> CurveKey {
        guard Self.isAvailable else { throw .unsupported }
        var publicText = [CChar](repeating: 0, count: 41)
        guard zmq_curve_public(&publicText, z85) == 0 else { throw .malformed("cannot derive a public key from this secret key") }
        return try CurveKey(z85: String(decoding: publicText.prefix(40).map { UInt8(bitPattern: $0) }, as: UTF8.self))
    }
}

/// Why a CURVE key could not be made, read or written.
public enum CurveKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// libzmq was built without CURVE (libsodium).
    case unsupported
    /// The text or bytes are not a key.
    case malformed(String)
    /// A key file could not be read or written, or is not one key.
    case file(path: String, String)

    public var description: String {
        switch self {
        case .unsupported:
            "the linked libzmq has no CURVE support (zmq_has(\"curve\") is false); install a libzmq built with libsodium (Debian: libzmq5)"
        case .malformed(let reason): reason
        case .file(let path, let reason): "\(path): \(reason)"
        }
    }
}
