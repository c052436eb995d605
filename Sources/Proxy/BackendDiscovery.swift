import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Resolves the `--discover` names at start and then every `discoverInterval` (measured from the end of the
/// previous round, so rounds never overlap) and reports each name's addresses to a ``BackendRoster``.
///
/// The ``HostResolver`` runs on a ``NIOThreadPool`` because getaddrinfo blocks; the rounds are driven from one
/// event loop, which only waits for the pool's futures. A name that fails to resolve is reported to nobody,
/// so the roster keeps the addresses it last had (none if it never resolved) and the next round tries again;
/// the failure is logged as a warning when it starts or its reason changes, and its end as a notice.
final class BackendDiscovery: Sendable {
    private let targets: [DiscoveryTarget]
    private let interval: TimeAmount
    private let resolver: any HostResolver
    private let threadPool: NIOThreadPool
    private let eventLoop: any EventLoop
    private let roster: BackendRoster
    private let logger: Logger
    private let task = Mutex<RepeatedTask?>(nil)
    /// The reason each failing target last failed, to log a warning once per streak rather than every round.
    private let failing = Mutex<[DiscoveryTarget: String]>([:])

    init(
        targets: [DiscoveryTarget], interval: Duration, resolver: any HostResolver, threadPool: NIOThreadPool,
        eventLoop: any EventLoop, roster: BackendRoster, logger: Logger
    ) {
        self.targets = targets
        self.interval = TimeAmount(interval)
        self.resolver = resolver
        self.threadPool = threadPool
        self.eventLoop = eventLoop
        self.roster = roster
        self.logger = logger
    }

    /// Runs the first round now and the next ones every interval until ``stop()``.
    func start() {
        let repeated = eventLoop.scheduleRepeatedAsyncTask(initialDelay: .zero, delay: interval) { [self] _ in
            round()
        }
        task.withLock { $0 = repeated }
    }

    /// Stops the rounds; a lookup under way finishes on its thread and its result is dropped by the stopped roster.
    func stop() {
        task.withLock { task in
            task?.cancel()
            task = nil
        }
    }

    /// Resolves every target at once; the returned future always succeeds so that the repeated task goes on.
    private func round() -> EventLoopFuture<Void> {
        let resolver = resolver
        let lookups = targets.map { target in
            threadPool.runIfActive(eventLoop: eventLoop) { try resolver.resolve(host: target.host, port: target.port) }.map { addresses in
                addresses.compactMap { $0.ipAddress }.map { target.backend(at: $0) }
            }
        }
        return EventLoopFuture.whenAllComplete(lookups, on: eventLoop).map { [self] results in
            for (target, result) in zip(targets, results) {
                switch result {
                case .success(let addresses):
                    recovered(target, count: addresses.count)
                    roster.discovered(addresses, for: target)
                case .failure(let error):
                    failed(target, reason: "\(error)")
                }
            }
        }
    }

    private func failed(_ target: DiscoveryTarget, reason: String) {
        let isNew = failing.withLock { failing in
            defer { failing[target] = reason }
            return failing[target] != reason
        }
        if isNew {
            logger.warning("discovery failed; keeping the backends last resolved and retrying", metadata: [
                "name": "\(target)", "reason": "\(reason)",
            ])
        }
    }

    private func recovered(_ target: DiscoveryTarget, count: Int) {
        guard failing.withLock({ $0.removeValue(forKey: target) }) != nil else { return }
        logger.notice("discovery resolves again", metadata: ["name": "\(target)", "addresses": "\(count)"])
    }
}
