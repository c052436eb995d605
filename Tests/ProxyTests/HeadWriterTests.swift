import NIOCore
import Testing
@testable import Proxy

struct HeadWriterTests {
    @Test func piecesLandInOrderBehindWhatTheBufferHolds() {
        var buffer = ByteBuffer(string: "GET")
        let raw: [UInt8] = Array(" /x".utf8)
        HeadWriter.write(into: &buffer, capacity: 128) { head in
            raw.withUnsafeBytes { head.append($0) }
            head.append(" HTTP/1.1\r\n")
            head.appendField("x-request-id", "0123456789abcdef")
            head.append("content-length: ")
            head.append(decimal: 0)
            head.append(UnsafeRawBufferPointer(start: nil, count: 0))
            head.append("")
            head.append("\r\n\r\n")
        }
        #expect(String(buffer: buffer) == "GET /x HTTP/1.1\r\nx-request-id: 0123456789abcdef\r\ncontent-length: 0\r\n\r\n")
    }

    @Test func linesAreCopiedFromTheirRangesEachWithCRLF() {
        let source: [UInt8] = Array("Host: a\r\nX-Drop: 1\r\nAccept: */*\r\n".utf8)
        var buffer = ByteBuffer()
        source.withUnsafeBytes { raw in
            HeadWriter.write(into: &buffer, capacity: 64) { head in
                head.append(raw, 0..<4)
                head.append(": ")
                head.appendLines(raw, [6..<7, 20..<31])  // "a", "Accept: */*"
                head.appendLines(raw, [])
            }
        }
        #expect(String(buffer: buffer) == "Host: a\r\nAccept: */*\r\n")
    }

    @Test func decimalsAreWrittenInFull() {
        for value in [0, 7, 9, 10, 99, 100, 404, 65_536, 1_000_000_007, Int.max] {
            var buffer = ByteBuffer()
            HeadWriter.write(into: &buffer, capacity: HeadWriter.maxDecimalDigits) { $0.append(decimal: value) }
            #expect(String(buffer: buffer) == String(value))
        }
    }

    @Test func aNonASCIIStringIsCopiedAsItsUTF8() {
        var buffer = ByteBuffer()
        let value = String(repeating: "é→", count: 20)  // not a small string, and not ASCII
        HeadWriter.write(into: &buffer, capacity: 200) { $0.appendField("x-note", value) }
        #expect(String(buffer: buffer) == "x-note: \(value)\r\n")
    }

    @Test func writingPastTheReservedSpaceTraps() async {
        await #expect(processExitsWith: .failure) {
            var buffer = ByteBuffer()
            buffer.reserveCapacity(16)
            HeadWriter.write(into: &buffer, capacity: 4) { head in
                for _ in 0..<1000 { head.append("0123456789") }
            }
        }
    }
}

struct SpareBufferTests {
    private func base(_ buffer: ByteBuffer) -> UnsafeRawPointer? {
        buffer.withVeryUnsafeBytes { $0.baseAddress }
    }

    @Test func aKeptBufferServesTheNextMessageWhenNothingElseHoldsIt() {
        var spare = SpareBuffer()
        var first = spare.take(allocator: ByteBufferAllocator())
        first.writeString("HTTP/1.1 200 OK\r\n\r\n")
        let storage = base(first)
        spare.keep(first)
        first = ByteBuffer()  // the write completed: only the spare refers to the storage
        let second = spare.take(allocator: ByteBufferAllocator())
        #expect(second.readableBytes == 0)
        #expect(base(second) == storage)
    }

    @Test func aBufferStillBeingWrittenIsNeverOverwritten() {
        var spare = SpareBuffer()
        var sent = spare.take(allocator: ByteBufferAllocator())
        sent.writeString("first message")
        spare.keep(sent)  // NIO still holds `sent`
        var next = spare.take(allocator: ByteBufferAllocator())
        next.writeString("second message, longer than the first")
        #expect(String(buffer: sent) == "first message")
        #expect(base(next) != base(sent))
    }

    @Test func largeBuffersAreNotKept() {
        var spare = SpareBuffer()
        var large = ByteBuffer()
        large.reserveCapacity(SpareBuffer.maxKeptBytes + 1)
        let storage = base(large)
        spare.keep(large)
        large = ByteBuffer()
        #expect(base(spare.take(allocator: ByteBufferAllocator())) != storage)
    }
}
