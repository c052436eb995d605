import Synchronization

/// The model requests use. A request reads the slot once and predicts with that value, so a
/// swap in the middle of a request can't mix versions; the swap itself is one pointer store.
public final class ModelSlot: Sendable {
    private let current = Mutex<ServedModel?>(nil)

    public init() {}

    public var model: ServedModel? { current.withLock { $0 } }

    /// Installs `model` and returns the one it replaces.
    @discardableResult
    public func swap(_ model: ServedModel) -> ServedModel? {
        current.withLock { old in
            defer { old = model }
            return old
        }
    }
}
