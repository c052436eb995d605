/// The message type field of the header (a little-endian `UInt16`).
///
/// Types are grouped by area in the high byte: membership and control, dataset shipping,
/// distributed training, the job API, tuning and registry notifications. Types marked
/// *reserved* have numbers fixed in v1 but no defined metadata (``isDefinedInV1``), so
/// defining them renumbers nothing; a v1 coordinator answers them with
/// ``ErrorCode/unsupportedMessage``.
public enum MessageType: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    // 0x00xx membership and control
    case register = 0x0001
    case welcome = 0x0002
    case heartbeat = 0x0003
    case deregister = 0x0004
    case error = 0x0005
    case statusRequest = 0x0006
    case statusReply = 0x0007
    case echoRequest = 0x0008
    case echoReply = 0x0009

    // 0x01xx dataset shipping
    case shardBegin = 0x0101
    case shardChunk = 0x0102
    case shardAck = 0x0103
    case shardEnd = 0x0104

    // 0x02xx distributed training (0x0201, once JOB_ASSIGN, is retired: never sent, unknown to receivers)
    case jobAccept = 0x0202
    case jobAbort = 0x0203
    case sketchRequest = 0x0204
    case sketchReply = 0x0205
    case binCuts = 0x0206
    case histogramRequest = 0x0207
    case histogramReply = 0x0208
    case splitDecision = 0x0209
    case gradientRequest = 0x020A
    case gradientReply = 0x020B
    case treeFinish = 0x020C
    case splitReply = 0x020D
    case checkpoint = 0x020E
    case treeGrow = 0x020F
    case treeGrown = 0x0210
    case predictRequest = 0x0211
    case predictReply = 0x0212

    // 0x03xx job API for clients (JOB_WATCH and JOB_EVENT reserved: `jobs watch` polls JOB_SHOW)
    case jobSubmit = 0x0301
    case jobSubmitReply = 0x0302
    case jobList = 0x0303
    case jobListReply = 0x0304
    case jobShow = 0x0305
    case jobShowReply = 0x0306
    case jobCancel = 0x0307
    case jobCancelReply = 0x0308
    case jobWatch = 0x0309
    case jobEvent = 0x030A
    case jobModel = 0x030B
    case jobModelReply = 0x030C
    case jobOutput = 0x030D
    case jobOutputReply = 0x030E

    // 0x04xx hyperparameter tuning (reserved)
    case trialAssign = 0x0401
    case trialReport = 0x0402
    case trialStop = 0x0403

    // 0x05xx registry and serving notifications (reserved)
    case modelPublished = 0x0501
    case aliasMoved = 0x0502

    // 0x06xx pipeline API for clients
    case pipelineApply = 0x0601
    case pipelineApplyReply = 0x0602
    case pipelineList = 0x0603
    case pipelineListReply = 0x0604
    case pipelineShow = 0x0605
    case pipelineShowReply = 0x0606
    case pipelineRun = 0x0607
    case pipelineRunReply = 0x0608
    case pipelineRuns = 0x0609
    case pipelineRunsReply = 0x060A
    case pipelineRunShow = 0x060B
    case pipelineRunShowReply = 0x060C
    case pipelineRunCancel = 0x060D
    case pipelineRunCancelReply = 0x060E

    /// Whether v1 defines this type's metadata and payload (as opposed to only reserving it).
    public var isDefinedInV1: Bool {
        switch self {
        case .jobWatch, .jobEvent: false
        default: rawValue < 0x0400 || rawValue >> 8 == 0x06
        }
    }

    /// The name used in docs/PROTOCOL.md and in logs, e.g. `HISTOGRAM_REQUEST`.
    public var name: String {
        switch self {
        case .register: "REGISTER"
        case .welcome: "WELCOME"
        case .heartbeat: "HEARTBEAT"
        case .deregister: "DEREGISTER"
        case .error: "ERROR"
        case .statusRequest: "STATUS_REQUEST"
        case .statusReply: "STATUS_REPLY"
        case .echoRequest: "ECHO_REQUEST"
        case .echoReply: "ECHO_REPLY"
        case .shardBegin: "SHARD_BEGIN"
        case .shardChunk: "SHARD_CHUNK"
        case .shardAck: "SHARD_ACK"
        case .shardEnd: "SHARD_END"
        case .jobAccept: "JOB_ACCEPT"
        case .jobAbort: "JOB_ABORT"
        case .sketchRequest: "SKETCH_REQUEST"
        case .sketchReply: "SKETCH_REPLY"
        case .binCuts: "BIN_CUTS"
        case .histogramRequest: "HISTOGRAM_REQUEST"
        case .histogramReply: "HISTOGRAM_REPLY"
        case .splitDecision: "SPLIT_DECISION"
        case .gradientRequest: "GRADIENT_REQUEST"
        case .gradientReply: "GRADIENT_REPLY"
        case .treeFinish: "TREE_FINISH"
        case .splitReply: "SPLIT_REPLY"
        case .checkpoint: "CHECKPOINT"
        case .treeGrow: "TREE_GROW"
        case .treeGrown: "TREE_GROWN"
        case .predictRequest: "PREDICT_REQUEST"
        case .predictReply: "PREDICT_REPLY"
        case .jobSubmit: "JOB_SUBMIT"
        case .jobSubmitReply: "JOB_SUBMIT_REPLY"
        case .jobList: "JOB_LIST"
        case .jobListReply: "JOB_LIST_REPLY"
        case .jobShow: "JOB_SHOW"
        case .jobShowReply: "JOB_SHOW_REPLY"
        case .jobCancel: "JOB_CANCEL"
        case .jobCancelReply: "JOB_CANCEL_REPLY"
        case .jobWatch: "JOB_WATCH"
        case .jobEvent: "JOB_EVENT"
        case .jobModel: "JOB_MODEL"
        case .jobModelReply: "JOB_MODEL_REPLY"
        case .jobOutput: "JOB_OUTPUT"
        case .jobOutputReply: "JOB_OUTPUT_REPLY"
        case .pipelineApply: "PIPELINE_APPLY"
        case .pipelineApplyReply: "PIPELINE_APPLY_REPLY"
        case .pipelineList: "PIPELINE_LIST"
        case .pipelineListReply: "PIPELINE_LIST_REPLY"
        case .pipelineShow: "PIPELINE_SHOW"
        case .pipelineShowReply: "PIPELINE_SHOW_REPLY"
        case .pipelineRun: "PIPELINE_RUN"
        case .pipelineRunReply: "PIPELINE_RUN_REPLY"
        case .pipelineRuns: "PIPELINE_RUNS"
        case .pipelineRunsReply: "PIPELINE_RUNS_REPLY"
        case .pipelineRunShow: "PIPELINE_RUN_SHOW"
        case .pipelineRunShowReply: "PIPELINE_RUN_SHOW_REPLY"
        case .pipelineRunCancel: "PIPELINE_RUN_CANCEL"
        case .pipelineRunCancelReply: "PIPELINE_RUN_CANCEL_REPLY"
        case .trialAssign: "TRIAL_ASSIGN"
        case .trialReport: "TRIAL_REPORT"
        case .trialStop: "TRIAL_STOP"
        case .modelPublished: "MODEL_PUBLISHED"
        case .aliasMoved: "ALIAS_MOVED"
        }
    }

    public var description: String {
        let hex = String(rawValue, radix: 16, uppercase: true)
        return "\(name) (0x\(String(repeating: "0", count: 4 - hex.count))\(hex))"
    }
}
