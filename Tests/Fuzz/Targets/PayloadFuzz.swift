import Serving
import TrainyardML

/// Request bodies as a replica's prediction routes read them: `/predict` and `/invocations` try the
/// `dataframe_split` fast path (``DataframeSplitReader``, in chunks as ``PipelinedBatch`` reads it) before the
/// general path (``JSONInput`` then ``PayloadDecoder``); `/v2` takes the general path only. Every table that
/// decodes is predicted.
///
/// The two paths are also checked against each other: a body the fast path reads must decode on the general
/// path to predictions with the same bits, as ``DataframeSplitReader`` promises.
enum PayloadFuzz {
    static func predict(_ body: [UInt8]) {
        serve(body, fastPath: true, decode: PayloadDecoder.predict)
    }

    /// `{"<key>": <value>}` to `/invocations`.
    static func invocations(key: String, _ value: [UInt8]) {
        serve(Array("{\"\(key)\": ".utf8) + value + [UInt8(ascii: "}")], fastPath: true, decode: PayloadDecoder.invocations)
    }

    static func v2(_ body: [UInt8]) {
        serve(body, fastPath: false, decode: PayloadDecoder.v2)
    }

    private static func serve(_ body: [UInt8], fastPath: Bool, decode: (JSONValue, FeatureTable) throws(InputError) -> Table) {
        let features = FuzzModel.features
        var general: [Float]?
        var generalRows = 0
        if let json = try? JSONInput.parse(body), let table = try? decode(json, features) {
            precondition(table.rows > 0, "a decoded table without rows")
            generalRows = table.rows
            general = predictions(table)
        }
        guard fastPath, DataframeSplitReader.opensWithDataframeSplit(body) else { return }
        var chunked: [Float]? = []
        var rows = 0
        let read = DataframeSplitReader.read(body, features: features, chunkRows: 2) { table in
            rows += table.rows
            if let predicted = predictions(table) { chunked? += predicted } else { chunked = nil }
        }
        guard read else { return }
        precondition(generalRows > 0, "the dataframe_split fast path read a body the general path refuses")
        precondition(rows == generalRows, "the fast path read \(rows) rows, the general path \(generalRows)")
        precondition(chunked?.map(\.bitPattern) == general?.map(\.bitPattern), "the fast path predicts otherwise than the general path")
    }

    private static func predictions(_ table: Table) -> [Float]? {
        guard let predictions = try? FuzzModel.predictor.predict(table, threads: 1) else { return nil }
        precondition(predictions.count % table.rows == 0, "\(predictions.count) predictions for \(table.rows) rows")
        return predictions
    }
}
