import Synchronization

/// The model requests use. A request reads the slot once and predicts with that value, so a
/// swap in the middle of a request can't mix versions; the swap itself is one pointer store.
public final class ModelSlot: Sendable {
    private let current = Mutex<ServedModel?>(nil)
    private let refused = Mutex<ModelRefusal?>(nil)

    public init() {}

    public var model: ServedModel? { current.withLock { $0 } }

    /// The latest version refused since the current one was installed, if any.
    public var refusal: ModelRefusal? {
        get { refused.withLock { $0 } }
        set { refused.withLock { $0 = newValue } }
    }

    /// Installs `model` and returns the one it replaces.
    @discardableResult
    public func swap(_ model: ServedModel) -> ServedModel? {
        defer { refusal = nil }
        return current.withLock { old in
            defer { old = model }
            return old
        }
    }
}
