import NIOCore

/// The bytes a framer could not use yet (an incomplete head or chunk line), kept until the next read
/// completes them. Both framers start each read with ``join(_:)`` and end an incomplete one with
/// ``keep(_:)``.
struct CarriedBytes {
    private var pending: ByteBuffer?

    /// Whether bytes are waiting.
    var isEmpty: Bool { (pending?.readableBytes ?? 0) == 0 }

    /// The kept bytes followed by `input` (just `input` when nothing was kept); nothing is kept afterwards.
    mutating func join(_ input: ByteBuffer) -> ByteBuffer {
        guard var joined = pending else { return input }
        pending = nil
        var input = input
        joined.writeBuffer(&input)
        return joined
    }

    /// Keeps what is left of `buffer`, if anything, for the next ``join(_:)``.
    mutating func keep(_ buffer: ByteBuffer) {
        pending = buffer.readableBytes > 0 ? buffer : nil
    }

    /// Drops the kept bytes.
    mutating func clear() {
        pending = nil
    }
}
