import Proxy

/// The fuzz targets: each reads arbitrary bytes the way one decoder of ours meets them from a peer, a client or
/// a file. The name is the target's corpus folder, `Tests/Fuzz/corpus/<name>`, and what `bench/fuzz/run.sh`
/// takes. Entries return normally on any input that is merely invalid; a trap, or a sanitizer report in a fuzz
/// build, is a bug.
public enum FuzzTarget: String, CaseIterable, Sendable, CustomStringConvertible {
    /// Frames from a ZeroMQ peer through `WireCodec.decode` (see ``WireFuzz``).
    case wire
    /// Model file bytes through `ModelFile.decode`, and a prediction with what loads (see ``ModelFileFuzz``).
    case modelFile = "model-file"
    /// A `/predict` body.
    case predict
    /// `{"dataframe_split": <input>}` to `/invocations`: the fast path and the general one.
    case dataframeSplit = "dataframe-split"
    /// `{"dataframe_records": <input>}` to `/invocations`.
    case dataframeRecords = "dataframe-records"
    /// `{"instances": <input>}` to `/invocations`.
    case instances
    /// `{"inputs": <input>}` to `/invocations`.
    case inputs
    /// A `/v2/models/{name}/infer` body.
    case v2
    /// Client bytes through the proxy's request framer and forwarded-head writer.
    case requestFramer = "request-framer"
    /// Backend bytes through the proxy's response framer and client-head writer.
    case responseFramer = "response-framer"
    /// A CSV file through `CSVReader.read(bytes:name:options:)`.
    case csv

    public var description: String { rawValue }

    /// Runs the target on one input.
    public func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .wire: WireFuzz.run(bytes)
        case .modelFile: ModelFileFuzz.run(bytes)
        case .predict: PayloadFuzz.predict(Array(bytes))
        case .dataframeSplit: PayloadFuzz.invocations(key: "dataframe_split", Array(bytes))
        case .dataframeRecords: PayloadFuzz.invocations(key: "dataframe_records", Array(bytes))
        case .instances: PayloadFuzz.invocations(key: "instances", Array(bytes))
        case .inputs: PayloadFuzz.invocations(key: "inputs", Array(bytes))
        case .v2: PayloadFuzz.v2(Array(bytes))
        case .requestFramer: FramingFuzzEntry.requests(bytes)
        case .responseFramer: FramingFuzzEntry.responses(bytes)
        case .csv: CSVFuzz.run(bytes)
        }
    }

    /// Runs the target on one input.
    public func run(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { run($0) }
    }

    /// Valid inputs to start from (the committed corpus grew from these; see ``FuzzSeeds``).
    public var seeds: [[UInt8]] { FuzzSeeds.seeds(for: self) }
}
