/// What one ``BackendSet/update(to:make:)`` did.
struct BackendChanges {
    /// Newly made backends, appended to the rotation.
    let added: [Backend]
    /// Backends that left the set; the caller retires them.
    let removed: [Backend]

    /// Whether the set stayed as it was.
    var isEmpty: Bool { added.isEmpty && removed.isEmpty }
}
