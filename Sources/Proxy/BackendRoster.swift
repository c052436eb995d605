import NIOCore
import Synchronization

/// Keeps the ``BackendSet`` equal to the `--backend` list plus the addresses each `--discover` name last resolved
/// to, and keeps everything that follows a backend in step: its ``HealthChecker``, each loop's pool of it and its
/// metrics. Thread-safe; changes are applied one at a time under its lock.
///
/// A discovered backend joins the rotation after its first passing health probe (a container is in DNS before
/// its model is loaded); `--backend`s start in it. A backend whose address vanishes leaves at once: it is
/// retired (no more picks, metrics removed), its probes stop, and every loop closes its idle connections to it.
/// Requests already sent to it finish on their connections, which then close.
final class BackendRoster: Sendable {
    private struct State {
        var running = false
        var checkers: [ObjectIdentifier: HealthChecker] = [:]
        /// The latest successful resolution of each target; a target missing here has not resolved yet.
        var resolved: [DiscoveryTarget: [BackendAddress]] = [:]
    }

    private let core: ProxyCore
    private let group: any EventLoopGroup
    private let loops: [NIOLoopBoundBox<LoopContext?>]
    private let state = Mutex(State())

    /// Fills the set with the `--backend`s (resolving their names now, blocking).
    init(core: ProxyCore, group: any EventLoopGroup, loops: [NIOLoopBoundBox<LoopContext?>]) {
        self.core = core
        self.group = group
        self.loops = loops
        core.backends.update(to: core.settings.backends) { address, slot in
            core.makeBackend(address, slot: slot, healthy: true)
        }
    }

    /// Starts probing every backend; changes reported from now on are applied.
    func start() {
        state.withLock { state in
            guard !state.running else { return }
            state.running = true
            for backend in core.backends.backends { startChecking(backend, in: &state) }
        }
    }

    /// Stops every probe and ignores later reports (a resolution may still be under way). Idempotent.
    func stop() {
        state.withLock { state in
            state.running = false
            for checker in state.checkers.values { checker.stop() }
            state.checkers.removeAll()
        }
    }

    /// `target` now resolves to `addresses`: the set becomes the `--backend`s followed by every target's
    /// latest addresses, in `--discover` order. Nothing happens when that is the set already.
    func discovered(_ addresses: [BackendAddress], for target: DiscoveryTarget) {
        state.withLock { state in
            guard state.running else { return }
            state.resolved[target] = addresses
            let wanted = core.settings.backends + core.settings.discover.flatMap { state.resolved[$0] ?? [] }
            let changes = core.backends.update(to: wanted) { address, slot in
                core.makeBackend(address, slot: slot, healthy: false)
            }
            for backend in changes.removed { retire(backend, in: &state) }
            for backend in changes.added {
                core.logger.notice("backend discovered; it joins once its health probe passes", metadata: [
                    "backend": "\(backend.address)", "name": "\(target)",
                ])
                startChecking(backend, in: &state)
            }
        }
    }

    private func startChecking(_ backend: Backend, in state: inout State) {
        let checker = HealthChecker(backend: backend, eventLoop: group.next(), settings: core.settings)
        state.checkers[ObjectIdentifier(backend)] = checker
        checker.start()
    }

    private func retire(_ backend: Backend, in state: inout State) {
        backend.retire()
        state.checkers.removeValue(forKey: ObjectIdentifier(backend))?.stop()
        for box in loops {
            box.eventLoop.execute { box.value?.retire(backend) }
        }
        core.logger.notice("backend left: its address no longer resolves", metadata: [
            "backend": "\(backend.address)", "inFlight": "\(backend.inFlight.load(ordering: .relaxed))",
        ])
    }
}
