/// Idle keep-alive connections to one backend, owned by one event loop (see ``LoopContext``).
/// Last in, first out, so the warmest connections are reused and surplus ones age out at the backend.
final class BackendPool {
    let backend: Backend
    let maxIdle: Int
    private var idle: [BackendConnection] = []
    /// The backend left the set (or the server is stopping): connections that finish their response close.
    private var closed = false

    init(backend: Backend, maxIdle: Int) {
        self.backend = backend
        self.maxIdle = maxIdle
        idle.reserveCapacity(min(maxIdle, 64))
    }

    /// An idle connection that is still open, or nil (the caller connects).
    func acquire() -> BackendConnection? {
        while let connection = idle.popLast() {
            if connection.isReusable { return connection }
        }
        return nil
    }

    /// Takes a connection back after a complete keep-alive response; closes it when the pool is full.
    func release(_ connection: BackendConnection) {
        if !closed && idle.count < maxIdle {
            idle.append(connection)
        } else {
            connection.close()
        }
    }

    /// Forgets a connection that closed while idle.
    func remove(_ connection: BackendConnection) {
        if let index = idle.lastIndex(where: { $0 === connection }) { idle.remove(at: index) }
    }

    /// Closes the idle connections; connections still carrying a request close when their response ends.
    func closeAll() {
        closed = true
        let connections = idle
        idle.removeAll()
        for connection in connections { connection.close() }
    }
}
