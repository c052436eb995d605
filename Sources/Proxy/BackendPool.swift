/// Keep-alive connections to one backend, owned by one event loop (see ``LoopContext``).
///
/// Idle connections are reused last in, first out, so the warmest ones are reused and surplus ones age out at
/// the backend. With a pipeline depth above 1, requests go to the connection in use (the one that took the
/// latest request) until it has `depth` responses awaited, and only then to an idle or new connection: requests
/// that arrive together leave together, in one write, and the backend reads them in one read. Large requests
/// go alone (see ``BackendConnection/send(_:isHead:body:for:flush:alone:)``).
final class BackendPool {
    let backend: Backend
    let maxIdle: Int
    /// Most requests awaiting their responses on one connection (1: no pipelining).
    let depth: Int
    private var idle: [BackendConnection] = []
    /// The connection that took the latest request, when pipelining; not in ``idle``.
    private var current: BackendConnection?
    /// The backend left the set (or the server is stopping): connections that finish their response close.
    private var closed = false

    init(backend: Backend, maxIdle: Int, depth: Int = 1) {
        self.backend = backend
        self.maxIdle = maxIdle
        self.depth = depth
        idle.reserveCapacity(min(maxIdle, 64))
    }

    /// An open connection that can take a request now, or nil (the caller connects). With `alone`, only a
    /// connection with nothing awaited.
    func acquire(alone: Bool = false) -> BackendConnection? {
        if let current, !alone {
            if current.hasRoom(depth: depth) { return current }
            self.current = nil  // full or closing; it comes back through release(_:) once nothing is awaited
        }
        while let connection = idle.popLast() {
            if connection.isReusable { return connection }
        }
        return nil
    }

    /// Notes that `connection` took a request (when pipelining): the next ones go to it while it has room.
    func sent(on connection: BackendConnection) {
        guard depth > 1, connection !== current, !closed else { return }
        if let previous = current, previous.isReusable { park(previous) }
        current = connection
    }

    /// Takes a connection back once nothing is awaited on it; closes it when the pool is full or closed.
    func release(_ connection: BackendConnection) {
        if closed {
            connection.close()
        } else if connection !== current {
            park(connection)
        }
    }

    private func park(_ connection: BackendConnection) {
        if idle.count < maxIdle {
            idle.append(connection)
        } else {
            connection.close()
        }
    }

    /// Forgets a connection that closed.
    func remove(_ connection: BackendConnection) {
        if connection === current { current = nil }
        if let index = idle.lastIndex(where: { $0 === connection }) { idle.remove(at: index) }
    }

    /// Closes the idle connections; connections still carrying requests close when their responses end.
    func closeAll() {
        closed = true
        let connections = idle + (current.map { [$0] } ?? [])
        idle.removeAll()
        current = nil
        for connection in connections where connection.isReusable { connection.close() }
    }
}
