/// A ``PredictionRecord`` as the journal stores it: its fields in declaration order, integers and floats as 8 bytes
/// little-endian, strings as a u32 LE length and UTF-8, an optional as a byte (0 absent, 1 present) before its value,
/// the unseen categories as a count and (name, rows) pairs. Cheap to write on the request path (no JSON), and
/// read back with every length checked against the bytes that are there.
enum RecordCodec {
    static func encode(_ record: PredictionRecord) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96 + record.requestID.utf8.count + (record.output?.utf8.count ?? 0) + (record.error?.utf8.count ?? 0)
            + (record.inputs?.utf8.count ?? 0))
        func integer(_ value: Int) { withUnsafeBytes(of: Int64(value).littleEndian) { out.append(contentsOf: $0) } }
        func string(_ value: String) {
            withUnsafeBytes(of: UInt32(value.utf8.count).littleEndian) { out.append(contentsOf: $0) }
            out.append(contentsOf: value.utf8)
        }
        func optional<T>(_ value: T?, _ write: (T) -> Void) {
            guard let value else { return out.append(0) }
            out.append(1)
            write(value)
        }
        string(record.requestID)
        withUnsafeBytes(of: record.time.bitPattern.littleEndian) { out.append(contentsOf: $0) }
        optional(record.model, string)
        optional(record.version, integer)
        string(record.endpoint)
        integer(record.status)
        integer(record.latencyMicroseconds)
        integer(record.rows)
        string(record.inputsSHA256)
        optional(record.output, string)
        optional(record.error, string)
        optional(record.inputs, string)
        optional(record.unseenCategories) { unseen in
            integer(unseen.count)
            for (feature, rows) in unseen.sorted(by: { $0.key < $1.key }) {
                string(feature)
                integer(rows)
            }
        }
        return out
    }

    /// The record in `bytes`, or `nil` if they are not one record exactly.
    static func decode(_ bytes: ArraySlice<UInt8>) -> PredictionRecord? {
        var reader = Reader(bytes: bytes)
        guard let requestID = reader.string(), let time = reader.word().map({ Double(bitPattern: $0) }),
              let model = reader.optional({ $0.string() }), let version = reader.optional({ $0.integer() }),
              let endpoint = reader.string(), let status = reader.integer(), let latency = reader.integer(), let rows = reader.integer(),
              let sha = reader.string(), let output = reader.optional({ $0.string() }), let error = reader.optional({ $0.string() }),
              let inputs = reader.optional({ $0.string() }),
              let unseen = reader.optional({ reader -> [String: Int]? in
                  guard let count = reader.integer(), count >= 0, count <= reader.remaining else { return nil }
                  var unseen: [String: Int] = [:]
                  for _ in 0..<count {
                      guard let feature = reader.string(), let rows = reader.integer() else { return nil }
                      unseen[feature] = rows
                  }
                  return unseen
              }),
              reader.remaining == 0 else { return nil }
        return PredictionRecord(requestID: requestID, time: time, model: model, version: version, endpoint: endpoint, status: status,
                                latencyMicroseconds: latency, rows: rows, inputsSHA256: sha, output: output, error: error, inputs: inputs,
                                unseenCategories: unseen)
    }

    private struct Reader {
        let bytes: ArraySlice<UInt8>
        var offset: Int

        init(bytes: ArraySlice<UInt8>) {
            self.bytes = bytes
            offset = bytes.startIndex
        }

        var remaining: Int { bytes.endIndex - offset }

        mutating func word() -> UInt64? {
            guard remaining >= 8 else { return nil }
            var value: UInt64 = 0
            for index in 0..<8 { value |= UInt64(bytes[offset + index]) << (8 * UInt64(index)) }
            offset += 8
            return value
        }

        mutating func integer() -> Int? { word().map { Int(Int64(bitPattern: $0)) } }

        mutating func string() -> String? {
            guard remaining >= 4 else { return nil }
            var length = 0
            for index in 0..<4 { length |= Int(bytes[offset + index]) << (8 * index) }
            offset += 4
            guard length <= remaining else { return nil }
            defer { offset += length }
            return String(decoding: bytes[offset..<offset + length], as: UTF8.self)
        }

        /// `.some(nil)` for an absent value, `.some(value)` for a present one, `nil` if the bytes are not either.
        mutating func optional<T>(_ read: (inout Reader) -> T?) -> T?? {
            guard remaining >= 1 else { return nil }
            let flag = bytes[offset]
            offset += 1
            switch flag {
            case 0: return .some(nil)
            case 1: return read(&self).map { .some($0) }
            default: return nil
            }
        }
    }
}
