import Crypto
import Foundation
import Testing
@testable import TrainyardML

/// The dataset fingerprint: SHA-256 of the file's bytes, whatever their count relative to
/// the read block.
struct FileFingerprintTests {
    func withFile(_ bytes: [UInt8], _ body: (String) throws -> Void) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("fingerprint-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try body(path)
    }

    @Test func theKnownDigestOfABC() throws {
        try withFile(Array("abc".utf8)) { path in
            let digest = try FileFingerprint.sha256(path: path)
            #expect(digest == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        }
    }

    @Test func filesAroundTheBlockSizeHashLikeTheirBytes() throws {
        let block = FileFingerprint.blockBytes
        for count in [0, 1, block - 1, block, block + 1, 2 * block + 12_345] {
            let bytes = (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 9) }
            try withFile(bytes) { path in
                let digest = try FileFingerprint.sha256(path: path)
                #expect(digest == SHA256.hash(data: bytes).hex, "\(count) bytes")
            }
        }
    }

    @Test func aMissingFileIsNamedInTheError() {
        #expect {
            _ = try FileFingerprint.sha256(path: "/nonexistent/data.csv")
        } throws: { "\($0)".contains("/nonexistent/data.csv") && "\($0)".contains("No such file") }
    }
}
