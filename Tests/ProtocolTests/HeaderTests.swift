import Testing
@testable import TrainyardProtocol
import ZeroMQ

struct HeaderTests {
    @Test func headerEncodesToTheDocumentedBytes() throws {
        let header = Header(type: .heartbeat, flags: 0, frameCount: 1, jobID: 0x0102_0304_0506_0708,
                            correlationID: 0xAABB_CCDD_EEFF_0011)
        let expected: [UInt8] = [
            0x54, 0x59, 0x52, 0x44,             // "TYRD"
            0x01, 0x00,                         // version 1
            0x03, 0x00,                         // type heartbeat
            0x00, 0x00, 0x00, 0x00,             // flags
            0x01, 0x00, 0x00, 0x00,             // frame count
            0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, // job id
            0x11, 0x00, 0xFF, 0xEE, 0xDD, 0xCC, 0xBB, 0xAA, // correlation id
        ]
        #expect(header.encode().bytes == expected)
        #expect(try Header.decode(ZMQFrame(bytes: expected)) == header)
    }

    @Test func anotherVersionIsReportedAsVersionMismatch() {
        var bytes = Header(type: .register, frameCount: 1).encode().bytes
        bytes[4] = 2
        #expect(throws: ProtocolError.unsupportedVersion(2)) { try Header.decode(ZMQFrame(bytes: bytes)) }
        #expect(ProtocolError.unsupportedVersion(2).errorCode == .versionMismatch)
        // A future version may grow the header; its version must still be readable.
        #expect(throws: ProtocolError.unsupportedVersion(2)) { try Header.decode(ZMQFrame(bytes: bytes + [0, 0, 0, 0])) }
        #expect(Header.peekIDs(ZMQFrame(bytes: bytes))?.version == 2)
    }

    @Test func badMagicSizeAndTypeAreTypedErrors() {
        let good = Header(type: .heartbeat, frameCount: 1).encode().bytes
        #expect(throws: ProtocolError.badMagic([0x54, 0x59, 0x52, 0x45])) {
            var bytes = good
            bytes[3] = 0x45
            return try Header.decode(ZMQFrame(bytes: bytes))
        }
        #expect(throws: ProtocolError.headerSize(actual: 31)) { try Header.decode(ZMQFrame(bytes: good.prefix(31))) }
        #expect(throws: ProtocolError.unknownMessageType(0xBEEF)) {
            var bytes = good
            bytes[6] = 0xEF
            bytes[7] = 0xBE
            return try Header.decode(ZMQFrame(bytes: bytes))
        }
    }

    @Test func everyReservedTypeHasAStableNumber() {
        let numbers = MessageType.allCases.map(\.rawValue)
        #expect(Set(numbers).count == numbers.count)
        #expect(MessageType.histogramRequest.rawValue == 0x0207)
        #expect(MessageType.treeGrow.rawValue == 0x020F && MessageType.treeGrown.rawValue == 0x0210)
        #expect(MessageType.allCases.filter(\.isDefinedInV1).count == 56)
        #expect(MessageType(rawValue: 0x0201) == nil, "JOB_ASSIGN is retired")
    }
}
