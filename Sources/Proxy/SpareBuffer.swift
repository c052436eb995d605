import NIOCore

/// A connection's buffer for the messages it builds (request heads towards backends, response heads towards the
/// client), taken back once a message is handed to NIO so that the next one reuses its storage instead of
/// allocating. Writing a buffer does not copy it: while NIO still holds the last message, ``take()`` gets fresh
/// storage (`ByteBuffer.clear()` only reuses storage nothing else refers to).
struct SpareBuffer {
    private var spare: ByteBuffer?
    /// Larger buffers are not kept, so an idle connection holds at most this much per direction. Messages of the
    /// size of a few rows' prediction fit; for larger ones an allocation costs little next to copying them.
    static let maxKeptBytes = 4096

    /// An empty buffer: the spare one, or a new one from `allocator`.
    mutating func take(allocator: ByteBufferAllocator) -> ByteBuffer {
        guard var buffer = spare else { return allocator.buffer(capacity: 1024) }
        spare = nil
        buffer.clear()
        return buffer
    }

    /// Keeps `buffer` for the next ``take(allocator:)``.
    mutating func keep(_ buffer: ByteBuffer) {
        if buffer.capacity <= Self.maxKeptBytes { spare = buffer }
    }
}
