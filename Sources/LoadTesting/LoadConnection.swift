import NIOCore
import NIOHTTP1
import NIOPosix

/// One keep-alive HTTP/1.1 connection of a run: connects, sends one request at a time when its
/// ``LoopShard`` says so, and reconnects after the connection breaks.
///
/// Confined to its shard's event loop; nothing here takes a lock or creates a task per request.
/// A connection that never got established gives up after ``LoadConnection/firstConnectAttempts``
/// attempts (so a closed port ends the run at once); one that had connected retries with back-off
/// until the run ends (so a restarting target is counted, not fatal).
final class LoadConnection {
    /// Attempts a connection makes before giving up if it has never connected.
    static let firstConnectAttempts = 3

    enum State {
        /// Not connected: before the first attempt, between attempts, after the channel closed.
        case waiting
        case connecting
        case connected
        /// Never connected and gave up.
        case retired
        /// Closed loop: its budget is spent and its last response arrived.
        case finished
    }

    private let shard: LoopShard
    /// Requests this connection may still send (closed loop with a request limit); `nil`: no limit.
    private(set) var budget: Int?
    private(set) var state = State.waiting
    /// Whether a request was sent and its response has not arrived.
    private(set) var inFlight = false
    /// When the request in flight was put on the wire.
    private(set) var sentAt = NIODeadline.uptimeNanoseconds(0)
    /// Where its latency counts from: the due time in open loop, `sentAt` in closed loop.
    private var origin = NIODeadline.uptimeNanoseconds(0)
    /// Open loop: when the request in flight was due.
    private var dueTime: NIODeadline?
    /// Whether the request in flight already had its failure counted (by a timeout or a channel error).
    private var failureCounted = false
    private var channel: (any Channel)?
    private var handler: ResponseHandler?
    private var everConnected = false
    private var failedAttempts = 0

    init(shard: LoopShard, budget: Int?) {
        self.shard = shard
        self.budget = budget
    }

    /// Whether this connection still has requests to send.
    var hasWork: Bool { budget.map { $0 > 0 } ?? true }

    func connect() {
        state = .connecting
        ClientBootstrap(group: shard.loop)
            .connectTimeout(shard.timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connect(to: shard.target.address)
            .assumeIsolated()
            .whenComplete { result in self.connectFinished(result) }
    }

    private func connectFinished(_ result: Result<any Channel, any Error>) {
        guard !shard.stopped else {
            if case .success(let channel) = result { channel.close(promise: nil) }
            return
        }
        switch result {
        case .failure(let error):
            shard.tally.recordError(LoadErrorKind.classify(error))
            failedAttempts += 1
            if !everConnected && failedAttempts >= Self.firstConnectAttempts {
                state = .retired
                shard.connectionRetired(self)
                return
            }
            state = .waiting
            // Back off so a dead target is probed, not hammered: 10 ms doubling to 500 ms.
            let delay = TimeAmount.milliseconds(min(500, 10 << min(failedAttempts - 1, 6)))
            shard.loop.assumeIsolated().scheduleTask(in: delay) { self.reconnectIfNeeded() }
        case .success(let channel):
            let handler = ResponseHandler(connection: self, requestHead: shard.target.requestHead,
                                          countHeader: shard.countHeader)
            do {
                if let tls = try shard.target.makeTLSHandler() {
                    try channel.pipeline.syncOperations.addHandler(tls)
                }
                try channel.pipeline.syncOperations.addHandlers([
                    RequestBytesWriter(bytes: shard.target.requestBytes),
                    ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes)),
                    handler,
                ])
            } catch {
                shard.tally.recordError(.other)
                channel.close(promise: nil)
                state = .retired
                shard.connectionRetired(self)
                return
            }
            self.channel = channel
            self.handler = handler
            everConnected = true
            failedAttempts = 0
            state = .connected
            channel.closeFuture.assumeIsolated().whenComplete { _ in self.channelClosed(channel) }
            shard.connectionReady(self, now: .now())
        }
    }

    private func reconnectIfNeeded() {
        guard !shard.stopped, state == .waiting else { return }
        connect()
    }

    /// Writes the request; the shard flushes it with the other requests written in the same
    /// event-loop iteration. `due` is its intended send time in open loop, `nil` in closed loop.
    func send(due: NIODeadline?) {
        guard let handler else { return }
        inFlight = true
        failureCounted = false
        dueTime = due
        // Provisional until the flush, so the timeout watchdog never sees the previous request's time.
        sentAt = .now()
        if let budget { self.budget = budget - 1 }
        shard.requestSent()
        handler.write()
        shard.flushLater(self)
    }

    /// Puts the written request on the wire; `now` is its send time.
    func flush(at now: NIODeadline) {
        guard inFlight, let handler else { return }
        sentAt = now
        origin = dueTime ?? now
        handler.flush()
    }

    func responseCompleted(status: Int, keepAlive: Bool, headerValue: String?) {
        guard inFlight, !shard.stopped else { return }
        let now = NIODeadline.now()
        inFlight = false
        shard.requestEnded()
        let latency = max(0, (now - origin).nanoseconds / 1000)
        shard.tally.recordResponse(status: status, latencyMicroseconds: UInt64(latency))
        if let headerValue { shard.tally.recordHeaderValue(headerValue) }
        if keepAlive {
            shard.connectionReady(self, now: now)
        } else {
            // The server said it closes; reconnecting is the normal course, not an error.
            channel?.close(promise: nil)
        }
    }

    /// A channel error (reset, unparsable response): counted once for the request in flight.
    func channelFailed(_ kind: LoadErrorKind) {
        guard inFlight, !failureCounted, !shard.stopped else { return }
        failureCounted = true
        shard.tally.recordError(kind)
    }

    /// The request in flight outlived the timeout: count it and drop the connection (an HTTP/1.1
    /// connection cannot be reused while a response is outstanding).
    func timedOut() {
        guard inFlight, !failureCounted else { return }
        failureCounted = true
        shard.tally.recordError(.timeout)
        channel?.close(promise: nil)
    }

    private func channelClosed(_ closed: any Channel) {
        guard let channel, channel === closed else { return }
        self.channel = nil
        handler = nil
        guard !shard.stopped, state != .finished else { return }
        state = .waiting
        if inFlight {
            inFlight = false
            shard.requestEnded()
            if !failureCounted { shard.tally.recordError(.connectionClosed) }
        }
        shard.connectionLost(self)
    }

    /// Closed loop: the budget is spent and the last response arrived; the channel stays open
    /// until the run ends so the server sees no close mid-run.
    func finish() {
        state = .finished
    }

    /// Closes the channel at the end of the run; a request in flight is left unfinished.
    func close() {
        channel?.close(promise: nil)
    }
}
