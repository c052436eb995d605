import Foundation
import TrainyardML
import TrainyardProtocol

/// What one fake peer sends, step by step, drawn from its own seeded generator: the same seed
/// gives every peer the same sequence of messages, reconnections and pauses whatever the
/// coordinator answers (the answers feed ``FuzzWorker``, which draws from another generator).
/// How the peers' sequences interleave is up to the scheduler, varied by the pauses and bursts.
struct FuzzScript {
    /// The kind of peer, which sets what it mostly sends.
    enum Persona: String, CaseIterable, Sendable {
        /// Registers as `fz-w<peer>` on a connection of that routing id and heartbeats, so jobs
        /// are given to it; mixes valid and mutated worker traffic, now and then re-registers or leaves.
        case worker
        /// Reconnects under other peers' routing ids (taking their connections over), claims
        /// their worker ids, replies with their correlation ids.
        case impostor
        /// Mostly mutated and random frames, a few of them megabytes long.
        case garbage
        /// The job API and status, valid and mutated: refused submissions, unknown job ids.
        case client
        /// Registers a new worker id and leaves, again and again, until the table is full.
        case churner

        /// Personas by peer index: two workers, then one of each other kind.
        static func of(peer: Int) -> Persona {
            [.worker, .worker, .impostor, .garbage, .client, .churner][peer % 6]
        }
    }

    /// One step: what to do, then how long to wait (answering the coordinator meanwhile).
    enum Action {
        case send(FuzzFrames.Frames)
        /// Close the socket and open a new connection, with this routing id (`nil`: libzmq's own).
        case reconnect(routingID: [UInt8]?)
    }

    /// Worker ids several peers claim: the worker peers' own, one shared, and the id the real
    /// worker joins with after the fuzzing.
    static func sharedWorkerIDs(peers: Int) -> [String] {
        (0..<peers).filter { Persona.of(peer: $0) == .worker }.map(workerID) + ["fz-shared", "w-real"]
    }

    static func workerID(peer: Int) -> String { "fz-w\(peer)" }

    /// The `n`-th correlation id peer `peer` uses for its own requests: computable by every
    /// other peer, which replies with it.
    static func correlation(seed: UInt64, peer: Int, n: UInt64) -> UInt64 {
        var random = SplitMix64.stream(seed, 1000 + UInt64(peer))
        random.skip(Int(n % 1_000_000))
        return random.next() >> 1
    }

    let peer: Int
    let peers: Int
    let seed: UInt64
    let persona: Persona
    /// A data file under the coordinator's data roots, named by submissions that must still be refused.
    let dataPath: String
    let dataRoot: String
    private var random: SplitMix64
    private var requests: UInt64 = 0
    private var churned = 0

    init(peer: Int, peers: Int, seed: UInt64, dataPath: String, dataRoot: String) {
        self.peer = peer
        self.peers = peers
        self.seed = seed
        self.persona = Persona.of(peer: peer)
        self.dataPath = dataPath
        self.dataRoot = dataRoot
        random = SplitMix64.stream(seed, UInt64(peer))
    }

    /// The routing id of the peer's first connection.
    var initialRoutingID: [UInt8]? {
        persona == .worker ? Array(Self.workerID(peer: peer).utf8) : nil
    }

    /// The next step and the pause after it, in milliseconds.
    mutating func next() -> (Action, pause: Int) {
        let action = nextAction()
        // Mostly short gaps, bursts of back-to-back messages, and now and then a longer silence.
        let pause: Int
        switch Double(random.next() >> 11) / Double(1 << 53) {
        case ..<0.35: pause = 0
        case ..<0.97: pause = Int.random(in: 1...8, using: &random)
        default: pause = Int.random(in: 20...120, using: &random)
        }
        return (action, pause)
    }

    private mutating func nextAction() -> Action {
        let roll = Int.random(in: 0..<1000, using: &random)
        switch persona {
        case .worker:
            switch roll {
            case ..<5: return .send(FuzzFrames.register(Self.workerID(peer: peer), correlation: nextCorrelation()))
            case ..<7: return .send(FuzzFrames.message(.deregister, "\"reason\":\"fuzz\""))
            case ..<9: return .reconnect(routingID: Array(Self.workerID(peer: peer).utf8))
            case ..<250: return .send(unsolicitedReply())
            case ..<350: return .send(FuzzFrames.message(.statusRequest, correlation: nextCorrelation()))
            case ..<400: return .send(echo())
            case ..<450: return .send(wrongDirection())
            case ..<520: return .send(errorMessage())
            default: return .send(FuzzFrames.mutate(anyValid(), &random, allowLarge: false))
            }
        case .impostor:
            switch roll {
            case ..<15:
                let ids: [[UInt8]?] = [nil, Array("fz-w0".utf8), Array("fz-w1".utf8), Array("w-real".utf8), Array("fz-shared".utf8),
                                       [0x01] + random.bytes(Int.random(in: 0...8, using: &random)), random.bytes(255)]
                return .reconnect(routingID: ids.randomElement(using: &random)!)
            case ..<200:
                let id = Self.sharedWorkerIDs(peers: peers).randomElement(using: &random)!
                return .send(FuzzFrames.register(id, cores: [0, 1, 4096, 4097, -1].randomElement(using: &random)!,
                                                 correlation: nextCorrelation()))
            case ..<300: return .send(FuzzFrames.message(.heartbeat))
            case ..<330: return .send(FuzzFrames.message(.deregister, "\"reason\":" + FuzzFrames.quoted(String(repeating: "r", count: [1, 1024, 1025].randomElement(using: &random)!))))
            case ..<650: return .send(unsolicitedReply())
            default: return .send(FuzzFrames.mutate(anyValid(), &random, allowLarge: false))
            }
        case .garbage:
            switch roll {
            case ..<150:
                let count = Int.random(in: 1...6, using: &random)
                return .send((0..<count).map { _ in random.bytes(Int.random(in: 0...96, using: &random)) })
            case ..<156: return .send(FuzzFrames.mutate(anyValid(), &random, allowLarge: true))
            case ..<160: return .send(largeMessage())
            case ..<250: return .send(anyValid())
            default: return .send(FuzzFrames.mutate(anyValid(), &random, allowLarge: false))
            }
        case .client:
            switch roll {
            case ..<150: return .send(FuzzFrames.message(.jobList, correlation: nextCorrelation()))
            case ..<300:
                let id = [0, 1, 2, 3, 77, UInt64.max >> 1].randomElement(using: &random)!
                return .send(FuzzFrames.message(.jobShow, "\"id\":\(id),\"historyFrom\":\(Int.random(in: -3...5, using: &random))",
                                                correlation: nextCorrelation()))
            case ..<340:
                return .send(FuzzFrames.message(.jobCancel, "\"id\":\(UInt64.random(in: 1000...1_000_000, using: &random))",
                                                correlation: nextCorrelation()))
            case ..<520: return .send(jobSubmit())
            case ..<650: return .send(FuzzFrames.message(.statusRequest, correlation: nextCorrelation()))
            case ..<690: return .send(echo())
            case ..<700:  // just within the job API's bound: a megabyte of JSON to parse
                return .send(FuzzFrames.padded(random.chance(0.5) ? jobSubmit() : FuzzFrames.message(.jobList, correlation: nextCorrelation()),
                                               to: WireLimits.jobMetadataBytes - Int.random(in: 16...4096, using: &random),
                                               numbers: random.chance(0.7)))
            default: return .send(FuzzFrames.mutate(random.chance(0.6) ? jobSubmit() : anyValid(), &random, allowLarge: false))
            }
        case .churner:
            switch roll {
            case ..<400:
                churned += 1
                return .send(FuzzFrames.register("fz-c\(peer)-\(churned)", correlation: nextCorrelation()))
            case ..<750: return .send(FuzzFrames.message(.deregister, "\"reason\":\"churn\""))
            case ..<770: return .reconnect(routingID: nil)
            case ..<850: return .send(FuzzFrames.message(.heartbeat))
            default: return .send(FuzzFrames.mutate(anyValid(), &random, allowLarge: false))
            }
        }
    }

    private mutating func nextCorrelation() -> UInt64 {
        requests += 1
        return Self.correlation(seed: seed, peer: peer, n: requests)
    }

    /// A correlation id for a reply nobody asked for: another peer's, this peer's, none, or
    /// one in the range the coordinator numbers its own requests from (2^32 up).
    private mutating func foreignCorrelation() -> UInt64 {
        switch Int.random(in: 0..<5, using: &random) {
        case 0: return 0
        case 1: return (1 << 32) + UInt64.random(in: 1...4000, using: &random)
        case 2: return random.next()
        default:
            let other = Int.random(in: 0..<peers, using: &random)
            return Self.correlation(seed: seed, peer: other, n: UInt64.random(in: 1...max(1, requests + 50), using: &random))
        }
    }

    /// A training reply to a request that was never sent (§6.2), well-formed.
    private mutating func unsolicitedReply() -> FuzzFrames.Frames {
        let shard = Int.random(in: 0...3, using: &random)
        let job = [0, 1, 2, UInt64.random(in: 3...UInt64.max, using: &random)].randomElement(using: &random)!
        let correlation = foreignCorrelation()
        switch Int.random(in: 0..<8, using: &random) {
        case 0: return FuzzFrames.message(.shardAck, "\"shard\":\(shard),\"chunk\":\(Int.random(in: -1...4, using: &random))",
                                          job: job, correlation: correlation)
        case 1:
            let features = Int.random(in: 0...6, using: &random)
            let sizes = (0..<features).map { _ in Int64.random(in: 0...4, using: &random) }
            let samples = (0..<Int(sizes.reduce(0, +))).map { _ in Float.random(in: -10...10, using: &random) }
            return FuzzFrames.message(.sketchReply, "\"shard\":\(shard)", payload: [.i64(sizes), .f32(samples)], job: job,
                                      correlation: correlation)
        case 2: return FuzzFrames.message(.jobAccept, "\"shard\":\(shard)", job: job, correlation: correlation)
        case 3: return FuzzFrames.message(.gradientReply, "\"shard\":\(shard),\"gradient\":1.5,\"hessian\":1", job: job,
                                          correlation: correlation)
        case 4:
            let values = (0..<(2 * Int.random(in: 0...40, using: &random))).map { _ in Int64.random(in: -1000...1000, using: &random) }
            return FuzzFrames.message(.histogramReply, "\"shard\":\(shard)", payload: [.i64(values)], job: job, correlation: correlation)
        case 5:
            let counts = (0..<(2 * Int.random(in: 0...4, using: &random))).map { _ in Int64.random(in: 0...100, using: &random) }
            return FuzzFrames.message(.splitReply, "\"shard\":\(shard)", payload: [.i64(counts)], job: job, correlation: correlation)
        case 6: return FuzzFrames.message(.treeGrown, "\"shard\":\(shard),\"tree\":" + FuzzFrames.leafTree, job: job,
                                          correlation: correlation)
        default:
            let code = ["unknown_shard", "checksum_mismatch", "unexpected_message", "unsupported_message"].randomElement(using: &random)!
            return FuzzFrames.message(.error, "\"code\":\"\(code)\",\"message\":\"fuzz\"", job: job, correlation: correlation)
        }
    }

    private mutating func echo() -> FuzzFrames.Frames {
        FuzzFrames.message(.echoRequest, payload: [.u8(random.bytes(Int.random(in: 0...256, using: &random)))],
                           correlation: nextCorrelation())
    }

    /// Messages only a coordinator or a client should receive, sent to the coordinator.
    private mutating func wrongDirection() -> FuzzFrames.Frames {
        switch Int.random(in: 0..<5, using: &random) {
        case 0: return FuzzFrames.message(.welcome, "\"coordinatorID\":\"x\",\"heartbeatIntervalMs\":1,\"heartbeatLiveness\":1")
        case 1: return FuzzFrames.message(.statusReply, "\"coordinatorID\":\"x\",\"protocolVersion\":1,\"uptimeSeconds\":0,\"workers\":[]")
        case 2: return FuzzFrames.message(.shardBegin, "\"shard\":{\"index\":0}", correlation: nextCorrelation())
        case 3: return FuzzFrames.message(.treeGrow, "\"shard\":0", correlation: nextCorrelation())
        default:
            let reserved: [MessageType] = [.jobWatch, .jobEvent, .trialAssign, .trialReport, .trialStop, .modelPublished, .aliasMoved,
                                           .jobSubmitReply, .echoReply]
            return FuzzFrames.message(reserved.randomElement(using: &random)!, correlation: nextCorrelation())
        }
    }

    private mutating func errorMessage() -> FuzzFrames.Frames {
        let codes = ErrorCode.allCases.map(\.rawValue) + ["no_such_code", ""]
        return FuzzFrames.message(.error, "\"code\":\(FuzzFrames.quoted(codes.randomElement(using: &random)!)),\"message\":\"fuzz\"",
                                  correlation: foreignCorrelation())
    }

    /// A `JOB_SUBMIT` that must be refused: its file is missing, outside the data roots or not a
    /// regular file, its label is not a column, or its parameters are out of range.
    private mutating func jobSubmit() -> FuzzFrames.Frames {
        let paths = ["/etc/passwd", "/dev/zero", "/proc/self/environ", dataRoot + "/missing.csv", dataRoot + "/../../etc/passwd",
                     dataRoot, dataPath, dataPath]
        let path = paths.randomElement(using: &random)!
        // The real file only ever with a label it does not have.
        let label = path == dataPath ? ["nope", "", "churned ", "CHURNED"].randomElement(using: &random)! : "churned"
        var spec = TrainingSpec(data: DatasetSource(path: path), label: label)
        spec.gbdt.trees = [1, 5, 0, 1 << 40].randomElement(using: &random)!
        spec.gbdt.eta = [0.3, 0, -1, .infinity].randomElement(using: &random)!
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let specJSON = String(decoding: (try? encoder.encode(spec)) ?? Data("{}".utf8), as: UTF8.self)
        let workers = [1, 2, 0, -1, 1025, 1 << 40].randomElement(using: &random)!
        return FuzzFrames.message(.jobSubmit, "\"spec\":\(specJSON),\"workers\":\(workers)", correlation: nextCorrelation())
    }

    /// Any of the valid messages above, for the mutations to start from.
    private mutating func anyValid() -> FuzzFrames.Frames {
        switch Int.random(in: 0..<10, using: &random) {
        case 0: return FuzzFrames.register(Self.sharedWorkerIDs(peers: peers).randomElement(using: &random)!, correlation: nextCorrelation())
        case 1: return FuzzFrames.message(.heartbeat)
        case 2: return FuzzFrames.message(.deregister, "\"reason\":\"fuzz\"")
        case 3: return FuzzFrames.message(.statusRequest, correlation: nextCorrelation())
        case 4: return echo()
        case 5: return jobSubmit()
        case 6: return FuzzFrames.message(.jobShow, "\"id\":1", correlation: nextCorrelation())
        case 7: return wrongDirection()
        default: return unsolicitedReply()
        }
    }

    /// A message of megabytes: a reserved, misdirected or training type whose metadata is a long
    /// JSON string or array (no bound applies to them in §11), or an echo with a large payload.
    private mutating func largeMessage() -> FuzzFrames.Frames {
        let size = [1 << 20, 4 << 20, 8 << 20].randomElement(using: &random)!
        let numbers = random.chance(0.5)
        switch Int.random(in: 0..<5, using: &random) {
        case 0: return FuzzFrames.padded(FuzzFrames.message(.trialReport, correlation: nextCorrelation()), to: size, numbers: numbers)
        case 1, 2: return FuzzFrames.padded(unsolicitedReply(), to: size, numbers: numbers)
        case 3: return FuzzFrames.padded(wrongDirection(), to: size, numbers: numbers)
        default: return FuzzFrames.message(.echoRequest, payload: [.u8([UInt8](repeating: 7, count: size))], correlation: nextCorrelation())
        }
    }
}
