import Testing
import ZeroMQ

struct ZMQFrameTests {
    @Test func framesHoldTheirBytes() {
        #expect(ZMQFrame(bytes: [1, 2, 3]).bytes == [1, 2, 3])
        #expect(ZMQFrame(string: "héllo").bytes == Array("héllo".utf8))
        #expect(ZMQFrame(bytes: []).count == 0)
        let written = ZMQFrame(count: 4) { buffer in
            for i in 0..<4 { buffer[i] = UInt8(10 + i) }
        }
        #expect(written.bytes == [10, 11, 12, 13])
    }

    @Test func adoptedArraysAreExposedAsLittleEndianBytes() {
        let frame = ZMQFrame(adopting: [Float(1), -2])
        #expect(frame.bytes == [0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0])
        #expect(ZMQFrame(adopting: [UInt16]()).count == 0)
    }

    @Test func errorsCarryLibzmqsMessage() throws {
        let context = try ZMQContext()
        let socket = try ZMQSocket(context: context, kind: .router)
        defer { socket.close() }
        #expect(throws: ZMQError.self) { try socket.bind("tcp://not-an-address:x") }
        let error = #expect(throws: ZMQError.self) { try socket.bind("nonsense://x") }
        #expect(error?.description.hasPrefix("bind nonsense://x failed: ") == true)
        #expect(error?.description.contains("Protocol not supported") == true)
    }
}
