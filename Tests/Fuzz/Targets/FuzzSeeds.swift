import Foundation
import Serving
import TrainyardML
import TrainyardProtocol
import ZeroMQ

/// Valid inputs for each target, from which `bench/fuzz/run.sh` starts a corpus that is empty.
enum FuzzSeeds {
    static func seeds(for target: FuzzTarget) -> [[UInt8]] {
        switch target {
        case .wire: wire()
        case .modelFile: modelFile()
        case .predict:
            [json(record), json([record, record]), json(["records": [record]]), json(["dataframe_split": split])]
        case .dataframeSplit: [json(split), json(["columns": names, "data": [row, row, row, row, row]])]
        case .dataframeRecords: [json([record, record])]
        case .instances: [json([record]), json([row, row]), json(columns)]
        case .inputs: [json([record]), json([row]), json(columns)]
        case .v2: v2()
        case .requestFramer: requests()
        case .responseFramer: responses()
        case .csv:
            [[0] + Array(SyntheticChurn.csv(rows: 6, seed: 1).utf8),
             [0x15] + Array("a,b,c\n1,x,\"quoted, text\"\nNA,y,\"with \"\"quotes\"\"\"\n".utf8),
             [0x06] + Array("x;y\n1;2\n3\n4;5;6\n".utf8)]
        }
    }

    // MARK: Payloads

    private static var inputs: [InputColumn] { FuzzModel.features.inputs }
    private static var names: [String] { inputs.map(\.name) }

    private static func value(_ input: InputColumn) -> Any {
        switch input.kind {
        case .numeric: 3.5
        case .categorical: "month-to-month"
        case .text: "south coast"
        }
    }

    private static var record: [String: Any] { Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, value($0)) }) }
    private static var row: [Any] { inputs.map(value) }
    private static var split: [String: Any] { ["columns": names, "data": [row, row]] }
    private static var columns: [String: Any] { Dictionary(uniqueKeysWithValues: inputs.map { ($0.name, [value($0), value($0)]) }) }

    private static func v2() -> [[UInt8]] {
        let perFeature = inputs.map { input -> [String: Any] in
            ["name": input.name, "shape": [2], "datatype": input.kind == .numeric ? "FP32" : "BYTES", "data": [value(input), value(input)]]
        }
        let wide: [String: Any] = ["name": "input", "shape": [2, inputs.count], "datatype": "BYTES", "data": [row, row]]
        return [json(["inputs": perFeature]), json(["inputs": [wide]]), json(["id": "1", "inputs": perFeature, "parameters": [:]])]
    }

    private static func json(_ object: Any) -> [UInt8] {
        do { return Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) } catch {
            preconditionFailure("seed payloads are JSON: \(error)")
        }
    }

    // MARK: Model files

    private static func modelFile() -> [[UInt8]] {
        do {
            let file = try ModelFile.encode(FuzzModel.model)
            let body = Array(file[(file.firstIndex(of: UInt8(ascii: "\n"))! + 1)...])
            return [[0] + file, [1] + body]
        } catch {
            preconditionFailure("the fuzz model encodes: \(error)")
        }
    }

    // MARK: Wire

    private static func wire() -> [[UInt8]] {
        let worker = WorkerStatus(workerID: "w1", host: "h", cores: 2, memoryBytes: 1 << 30, pid: 7,
                                  state: .alive, lastSeenSecondsAgo: 0.5, registrations: 1)
        let envelopes: [Envelope] = [
            Envelope(.register(Register(workerID: "w1", host: "localhost", cores: 2, memoryBytes: 1 << 30, pid: 42, software: "trainyard"))),
            Envelope(.welcome(Welcome(coordinatorID: "c", heartbeatIntervalMs: 1000, heartbeatLiveness: 3)), correlationID: 1),
            Envelope(.heartbeat),
            Envelope(.deregister(Deregister(reason: "bye"))),
            Envelope(.error(ErrorReply(code: .malformedMessage, message: "bad"))),
            Envelope(.statusRequest),
            Envelope(.statusReply(ClusterStatus(coordinatorID: "c", uptimeSeconds: 3, workers: [worker]))),
            Envelope(.echoRequest([.float32([1, 2, 3]), .uint8([1, 2])])),
            Envelope(.other(.jobSubmit, metadata: Array(#"{"name":"job","trees":3}"#.utf8), payload: [.float64([0.5])]), jobID: 9),
        ]
        return envelopes.map { WireFuzz.input(WireCodec.encode($0)) }
    }

    // MARK: HTTP

    /// The first byte of each: 0 for one read, otherwise the largest read (see `FramingFuzzEntry`).
    private static func requests() -> [[UInt8]] {
        [
            [0] + Array("GET /health HTTP/1.1\r\nHost: a\r\n\r\n".utf8),
            [7] + Array("POST /predict HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX-Request-Id: abc-1\r\n\r\nhello".utf8),
            [3] + Array("POST /invocations HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive, x-drop\r\nX-Drop: 1\r\n\r\n5\r\nhello\r\n0\r\n\r\n".utf8),
            [0] + Array("GET / HTTP/1.0\r\nConnection: keep-alive\r\nX-Forwarded-For: 1.2.3.4\r\nExpect: 100-continue\r\n\r\nGET /b HTTP/1.1\r\n\r\n".utf8),
        ]
    }

    /// The first byte as for requests; the second: responses expected − 1 (low two bits), which answer HEAD
    /// (bits 2–5), an HTTP/1.0 client (bit 6).
    private static func responses() -> [[UInt8]] {
        [
            [0, 0] + Array("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n[]".utf8),
            [5, 1] + Array("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n[]\r\n0\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n".utf8),
            [0, 0x40] + Array("HTTP/1.0 200 OK\nConnection: close\n\nbody until close".utf8),
            [2, 0x05] + Array("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno!".utf8),
        ]
    }
}
