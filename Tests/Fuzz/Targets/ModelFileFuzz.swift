import Crypto
import Serving
import TrainyardML

/// Model file bytes through ``ModelFile/decode(_:path:)``, the reader of the registry, the replicas and the CLI.
///
/// A checksum is out of a fuzzer's reach, so when the first byte is odd the rest is taken as the JSON body and
/// given a correct header: the fuzzer then works on the structure that ``TrainyardModel/validate()`` guards. A
/// model that loads must serve: its feature table is built and it predicts a record of ordinary values and one of
/// missing values, as a replica does with its first request.
enum ModelFileFuzz {
    static func run(_ data: UnsafeRawBufferPointer) {
        guard let mode = data.first else { return }
        let rest = Array(data.dropFirst())
        let bytes = mode & 1 == 0 ? rest : file(body: rest)
        guard let model = try? ModelFile.decode(bytes, path: "fuzz.model") else { return }
        let features = FeatureTable(model: model)
        let ordinary = JSONValue.object(JSONObject(features.inputs.map { input in
            switch input.kind {
            case .numeric: (key: input.name, value: .number(Double(mode) - 100))
            case .categorical: (key: input.name, value: .string(mode & 2 == 0 ? "a" : "one-year"))
            case .text: (key: input.name, value: .string("fuzz text a b"))
            }
        }))
        let missing = JSONValue.object(JSONObject(features.inputs.map { (key: $0.name, value: .null) }))
        guard let table = try? features.table(records: [ordinary, missing]) else { return }
        _ = try? ModelPredictor(model).predict(table, threads: 1)
        _ = try? model.predict(table, threads: 1)
    }

    /// `body` behind a header that states its true length and SHA-256.
    static func file(body: [UInt8]) -> [UInt8] {
        let digest = SHA256.hash(data: body).map { byte in
            let hex = Array("0123456789abcdef".utf8)
            return String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]], as: UTF8.self)
        }.joined()
        return Array("trainyard-model \(TrainyardModel.formatVersion) sha256=\(digest) bytes=\(body.count)\n".utf8) + body
    }
}
