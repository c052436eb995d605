import Foundation
import TrainyardProtocol

/// A batch prediction job (`trainyard submit predict`): score a dataset with a registry model
/// across workers and keep the predictions as a CSV file on the coordinator (JOB_OUTPUT).
public struct BatchPrediction: Sendable, Codable, Equatable {
    /// `name`, `name@alias` or `name@version` of a registry model (default alias `production`).
    public var model: String
    /// Input columns copied into the output before the predictions (e.g. an id).
    public var keep: [String]
    /// The model version scored, once resolved.
    public var modelVersion: Int?
    /// Rows scored so far and in all, once known.
    public var rowsDone: Int?
    public var rows: Int?

    public init(model: String, keep: [String] = []) {
        self.model = model
        self.keep = keep
    }

    /// The model's name and the alias or version `model` names.
    public var reference: (name: String, alias: String?, version: Int?) {
        let parts = model.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return (model, "production", nil) }
        if let version = Int(parts[1]), version > 0 { return (parts[0], nil, version) }
        return (parts[0], parts[1], nil)
    }
}

/// PREDICT_REQUEST: score one slice of a CSV file. Payload: one `u8` frame with the model file
/// (empty when this worker was sent model `model` before), then one `u8` frame with the slice:
/// whole CSV records, without the header.
public struct PredictRequest: Sendable, Codable, Equatable {
    /// The slice's index in the file, echoed in the reply.
    public var slice: Int
    /// SHA-256 (lowercase hex) of the model file.
    public var model: String
    /// The file's header line, without its line break.
    public var header: String
    /// The 1-based line number of the slice's first line in the file (for errors).
    public var firstLine: Int
    /// Columns to copy into the output before the predictions.
    public var keep: [String]
    /// The data's name in errors (`churn@4`, a file name).
    public var name: String

    public init(slice: Int, model: String, header: String, firstLine: Int, keep: [String], name: String) {
        self.slice = slice
        self.model = model
        self.header = header
        self.firstLine = firstLine
        self.keep = keep
        self.name = name
    }
}

/// PREDICT_REPLY: the slice's output lines (one `u8` frame: CSV lines, each ending in `\n`, no header).
public struct PredictReply: Sendable, Codable, Equatable {
    public var slice: Int
    public var rows: Int

    public init(slice: Int, rows: Int) {
        self.slice = slice
        self.rows = rows
    }
}

/// JOB_OUTPUT_REPLY: a succeeded batch prediction job's output file, whose bytes travel as the
/// one `u8` payload frame (`bytes` long, with this SHA-256) — the same body as JOB_MODEL_REPLY's.
public typealias JobOutputReply = JobModelReply

extension ShardCalls {
    /// PREDICT_REQUEST (+ the model, + a CSV slice) → PREDICT_REPLY (+ the output lines).
    public enum Predict: ShardCall {
        public static let requestType = MessageType.predictRequest, replyType = MessageType.predictReply
        public typealias Request = PredictRequest
        public typealias ReplyBody = PredictReply
    }
}
