import Crypto
import Foundation
import HTTPSupport
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import TrainyardML

/// The replica's HTTP API: `POST /predict`, MLflow's `POST /invocations`, the V2 open
/// inference protocol, `GET /metrics` and `GET /predictions`.
///
/// Every prediction response names the model and version that produced it (`X-Model-Name`,
/// `X-Model-Version`, and in the body), echoes or assigns `X-Request-Id`, and every request —
/// refused ones too — is counted in the metrics and appended to the prediction log.
struct ReplicaRoutes: Sendable {
    let replica: Replica

    static let modelNameHeader = HTTPField.Name("X-Model-Name")!
    static let modelVersionHeader = HTTPField.Name("X-Model-Version")!
    static let requestIDHeader = HTTPField.Name("X-Request-Id")!

    func add(to router: Router<BasicRequestContext>) {
        router.post("/predict") { request, _ in
            await predict(request, endpoint: "/predict", decode: PayloadDecoder.predict, answer: .array(elements: { served in
                { predictions, rows in PredictionOutput.recordElements(predictions, rows: rows, model: served.model) }
            }) { served, array in
                "{\"model\":" + PredictionOutput.string(served.name) + ",\"version\":" + served.versionText + ",\"predictions\":" + array + "}"
            })
        }
        router.post("/invocations") { request, _ in
            let format: BodyFormat
            switch Self.mediaType(of: request) {
            case nil, "application/json": format = .json
            case "text/csv": format = .csv
            case let other?:
                return await refuse(request, endpoint: "/invocations", status: 415,
                                    message: "unsupported Content-Type '\(other)': send application/json (MLflow's formats) or text/csv (a header line, then rows)")
            }
            return await predict(request, endpoint: "/invocations", format: format, decode: PayloadDecoder.invocations, answer: .array(elements: { served in
                { predictions, rows in PredictionOutput.valueElements(predictions, rows: rows, model: served.model) }
            }) { _, array in
                "{\"predictions\":" + array + "}"
            })
        }
        router.post("/v2/models/:name/infer") { request, context in
            await v2Infer(request, name: context.parameters.get("name") ?? "", version: nil)
        }
        router.post("/v2/models/:name/versions/:version/infer") { request, context in
            await v2Infer(request, name: context.parameters.get("name") ?? "", version: context.parameters.get("version") ?? "")
        }
        router.get("/v2/health/live") { _, _ in JSONResponse.make(["live": true]) }
        // SageMaker's health check: 200 once a model is loaded.
        router.get("/ping") { _, _ in
            JSONResponse.make(["ready": replica.slot.model != nil], status: replica.slot.model != nil ? .ok : .serviceUnavailable)
        }
        router.get("/v2/health/ready") { _, _ in
            JSONResponse.make(["ready": replica.slot.model != nil], status: replica.slot.model != nil ? .ok : .serviceUnavailable)
        }
        router.get("/v2") { _, _ in
            JSONResponse.make(ServerMetadata(name: "trainyard", version: "1", extensions: []))
        }
        router.get("/v2/models/:name") { _, context in
            metadata(name: context.parameters.get("name") ?? "", version: nil)
        }
        router.get("/v2/models/:name/versions/:version") { _, context in
            metadata(name: context.parameters.get("name") ?? "", version: context.parameters.get("version") ?? "")
        }
        router.get("/v2/models/:name/ready") { _, context in
            ready(name: context.parameters.get("name") ?? "", version: nil)
        }
        router.get("/v2/models/:name/versions/:version/ready") { _, context in
            ready(name: context.parameters.get("name") ?? "", version: context.parameters.get("version") ?? "")
        }
        router.get("/v2/models/:name/drift") { _, context in
            drift(name: context.parameters.get("name") ?? "")
        }
        router.get("/metrics") { _, _ in
            if let report = replica.slot.model?.drift?.report() { replica.metrics.updateDrift(report) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(bytes: replica.metrics.exposition())))
        }
        router.get("/predictions") { request, _ in
            _ = try replica.settings.access.authorize(request, needs: .reader)
            return await predictions(request, counts: false)
        }
        router.get("/predictions/counts") { request, _ in
            _ = try replica.settings.access.authorize(request, needs: .reader)
            return await predictions(request, counts: true)
        }
    }

    // MARK: Prediction

    private func v2Infer(_ request: Request, name: String, version: String?) async -> Response {
        if let served = replica.slot.model, served.name != name || (version != nil && version != served.versionText) {
            let message = "model '\(name)'\(version.map { " version \($0)" } ?? "") is not served here; this replica serves '\(served.name)' version \(served.version)"
            return await refuse(request, endpoint: "/v2/infer", status: 404, message: message)
        }
        return await predict(request, endpoint: "/v2/infer", decode: PayloadDecoder.v2, answer: .document { served, predictions, rows, json in
            let id = json.object?["id"]?.string.map { ",\"id\":" + PredictionOutput.string($0) } ?? ""
            let shape = PredictionOutput.shape(rows: rows, model: served.model).map(String.init).joined(separator: ",")
            var flat = PredictionOutput.values(predictions, rows: rows, model: served.model)
            if case .softprob = served.model.objective { flat = "[" + predictions.map { $0.isFinite ? $0.description : "null" }.joined(separator: ",") + "]" }
            return "{\"model_name\":" + PredictionOutput.string(served.name) + ",\"model_version\":\"" + served.versionText + "\"" + id
                + ",\"outputs\":[{\"name\":\"predict\",\"datatype\":\"FP32\",\"shape\":[" + shape + "],\"data\":" + flat + "}]}"
        })
    }

    /// How an endpoint writes its answer.
    private enum Answer {
        /// A document around one array of per-row predictions: `elements` writes the array's
        /// elements for some rows, `document` puts the array in the answer. `dataframe_split`
        /// batches go to ``PipelinedBatch``, which reads, predicts and writes them in chunks.
        case array(elements: (ServedModel) -> @Sendable ([Float], Int) -> String, document: (ServedModel, String) -> String)
        /// Any other answer, from the predictions, the row count and the request's JSON.
        case document((ServedModel, [Float], Int, JSONValue) -> String)
    }

    /// How a request body is read: JSON (every endpoint) or CSV (`/invocations` with `Content-Type: text/csv`).
    private enum BodyFormat {
        case json
        case csv
    }

    /// The media type of the request's `Content-Type`, lower-cased and without parameters (`charset`).
    static func mediaType(of request: Request) -> String? {
        guard let value = request.headers[.contentType] else { return nil }
        let type = value.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        return type.isEmpty ? nil : type
    }

    /// The common path: read the body, take the current model once, decode, predict, write
    /// the answer, count and log.
    private func predict(_ request: Request, endpoint: String, format: BodyFormat = .json,
                         decode: (JSONValue, FeatureTable) throws(InputError) -> Table, answer: Answer) async -> Response {
        let start = ContinuousClock.now
        let time = Date().timeIntervalSince1970
        let requestID = Self.requestID(of: request)
        let body: [UInt8]
        do {
            body = Array(buffer: try await request.body.collect(upTo: replica.settings.maxBodyBytes))
        } catch is NIOTooManyBytesError {
            return await finish(endpoint: endpoint, requestID: requestID, time: time, start: start, served: replica.slot.model, status: 413,
                          body: [], error: "the body is larger than the limit of \(replica.settings.maxBodyBytes) bytes", output: nil, rows: 0)
        } catch {
            return await finish(endpoint: endpoint, requestID: requestID, time: time, start: start, served: replica.slot.model, status: 400,
                          body: [], error: "cannot read the body: \(error)", output: nil, rows: 0)
        }
        guard let served = replica.slot.model else {
            return await finish(endpoint: endpoint, requestID: requestID, time: time, start: start, served: nil, status: 503,
                          body: body, error: "no model loaded yet", output: nil, rows: 0)
        }
        do throws(InputError) {
            if format == .json, case .array(let elements, let document) = answer,
               let batch = try await PipelinedBatch.predict(body, served: served, elements: elements(served)) {
                return await finish(endpoint: endpoint, requestID: requestID, time: time, start: start, served: served, status: 200,
                                    body: body, error: nil, output: document(served, "[" + batch.elements + "]"), rows: batch.rows,
                                    unseen: batch.unseen)
            }
            let json: JSONValue
            let table: Table
            switch format {
            case .json:
                json = try JSONInput.parse(body)
                table = try decode(json, served.features)
            case .csv:
                json = .null
                table = try CSVInput.table(body, features: served.features)
            }
            let predictions: [Float]
            do {
                predictions = try served.predictor.predict(table, threads: table.rows >= replica.settings.parallelRows ? 0 : 1)
            } catch { throw InputError(error.description) }
            served.drift?.record(table, predictions: predictions, outputs: served.model.objective.outputGroups)
            let rows = table.rows
            let output = switch answer {
            case .array(let elements, let document): document(served, "[" + elements(served)(predictions, rows) + "]")
            case .document(let write): write(served, predictions, rows, json)
            }
            return await finish(endpoint: endpoint, requestID: requestID, time: time, start: start, served: served, status: 200,
                                body: body, error: nil, output: output, rows: rows, unseen: served.features.unseenCategories(in: table))
        } catch {
            return await finish(endpoint: endpoint, requestID: requestID, time: time, start: start, served: served, status: Int(error.status.code),
                          body: body, error: error.message, output: nil, rows: 0)
        }
    }

    private func refuse(_ request: Request, endpoint: String, status: Int, message: String) async -> Response {
        let requestID = Self.requestID(of: request)
        let body = (try? await request.body.collect(upTo: replica.settings.maxBodyBytes)).map { Array(buffer: $0) } ?? []
        return await finish(endpoint: endpoint, requestID: requestID, time: Date().timeIntervalSince1970, start: .now, served: replica.slot.model,
                      status: status, body: body, error: message, output: nil, rows: 0)
    }

    /// Counts and logs the request and builds its response. Under `--log-durability commit` the response is
    /// returned only once its record is committed (503 if the log cannot be written).
    private func finish(endpoint: String, requestID: String, time: Double, start: ContinuousClock.Instant, served: ServedModel?,
                        status: Int, body: [UInt8], error: String?, output: String?, rows: Int, unseen: [String: Int] = [:]) async -> Response {
        var headers: HTTPFields = [Self.requestIDHeader: requestID]
        // The rest of an oversized body is not read: the connection closes after the answer, so a client still
        // sending sees the 413 and a closed connection instead of writing into one nobody reads.
        if status == 413 { headers[.connection] = "close" }
        if let served {
            headers[Self.modelNameHeader] = served.name
            headers[Self.modelVersionHeader] = served.versionText
        }
        let response: Response
        if let output {
            response = JSONResponse.bytes(Array(output.utf8), headers: headers)
        } else {
            response = JSONResponse.error(error ?? "error", status: .init(code: status), headers: headers)
        }
        let elapsed = ContinuousClock.now - start
        replica.metrics.record(endpoint: endpoint, status: status, duration: elapsed, rows: rows)
        for (feature, count) in unseen { replica.metrics.recordUnseenCategories(feature: feature, rows: count) }
        if let log = replica.log {
            let micros = Int(elapsed / .microseconds(1))
            let record = PredictionRecord(requestID: requestID, time: time, model: served?.name, version: served?.version, endpoint: endpoint,
                                          status: status, latencyMicroseconds: micros, rows: rows, inputsSHA256: SHA256.hash(data: body).hex,
                                          output: output, error: error,
                                          inputs: replica.settings.logInputs ? String(decoding: body, as: UTF8.self) : nil,
                                          unseenCategories: unseen.isEmpty ? nil : unseen)
            switch log.durability {
            case .batched:
                log.append(record)
            case .commit:
                guard log.appendCommitted(record) else {
                    return JSONResponse.error("the prediction log cannot be written; the request was not served unlogged (--log-durability commit)",
                                              status: .serviceUnavailable, headers: [Self.requestIDHeader: requestID])
                }
            }
        }
        return response
    }

    /// The request's first `X-Request-Id` (the one a proxy forwards) if ``RequestID`` accepts it, else a new id.
    /// Read without joining repeated fields into a new string, which `HTTPFields`' subscript would do.
    static func requestID(of request: Request) -> String {
        guard let value = request.headers.first(where: { $0.name == requestIDHeader })?.value, RequestID.isAcceptable(value) else {
            return RequestID.random()
        }
        return value
    }

    /// 16 lowercase hex digits from the system's random generator, written straight into the string.

    // MARK: Metadata and log

    struct ServerMetadata: Encodable {
        var name: String
        var version: String
        var extensions: [String]
    }

    struct TensorMetadata: Encodable {
        var name: String
        var datatype: String
        var shape: [Int]
    }

    struct ModelMetadata: Encodable {
        var name: String
        var versions: [String]
        var platform: String
        var inputs: [TensorMetadata]
        var outputs: [TensorMetadata]
        /// The class names of a classifier, in the order of its probabilities (not part of V2; absent for regression).
        var classes: [String]?
        /// A newer version this replica was told to serve and refused (not part of V2; absent when none).
        var refused: ModelRefusal?
    }

    /// `GET /v2/models/{name}[/versions/{version}]/ready`: 200 when that model (and version) is served; 404 for a
    /// model or version that is not (V2: any 4xx means not ready), 503 before any model is loaded.
    private func ready(name: String, version: String?) -> Response {
        guard let served = replica.slot.model else { return JSONResponse.make(["ready": false], status: .serviceUnavailable) }
        guard served.name == name, version == nil || version == served.versionText else {
            return JSONResponse.make(["ready": false], status: .notFound)
        }
        return JSONResponse.make(["ready": true])
    }

    /// `GET /v2/models/{name}/drift`: the served version's recent traffic against its training baseline.
    private func drift(name: String) -> Response {
        guard let served = replica.slot.model else { return JSONResponse.error("no model loaded yet", status: .serviceUnavailable) }
        guard served.name == name else {
            return JSONResponse.error("model '\(name)' is not served here; this replica serves '\(served.name)'", status: .notFound)
        }
        guard let monitor = served.drift else {
            return JSONResponse.error("version \(served.versionText) of '\(name)' has no training baseline to compare with "
                                      + "(trained before baselines, or imported): retrain it to watch drift", status: .notFound)
        }
        return JSONResponse.make(monitor.report(), headers: [Self.modelVersionHeader: served.versionText])
    }

    private func metadata(name: String, version: String?) -> Response {
        guard let served = replica.slot.model else {
            let refusal = replica.slot.refusal.map { "; version \($0.version) was refused: \($0.reason)" } ?? ""
            return JSONResponse.error("no model loaded yet" + refusal, status: .serviceUnavailable)
        }
        guard served.name == name else {
            return JSONResponse.error("model '\(name)' is not served here; this replica serves '\(served.name)'", status: .notFound)
        }
        if let version, version != served.versionText {
            return JSONResponse.error("version \(version) of '\(name)' is not served here; this replica serves version \(served.versionText)",
                                      status: .notFound)
        }
        let inputs = served.features.inputs.map { TensorMetadata(name: $0.name, datatype: $0.kind == .numeric ? "FP32" : "BYTES", shape: [-1]) }
        var outputShape = [-1]
        if case .softprob(let k) = served.model.objective { outputShape = [-1, k] }
        return JSONResponse.make(ModelMetadata(name: served.name, versions: [served.versionText], platform: "trainyard-\(served.model.estimator.kind)",
                                               inputs: inputs, outputs: [TensorMetadata(name: "predict", datatype: "FP32", shape: outputShape)],
                                               classes: PredictionOutput.classNames(served.model), refused: replica.slot.refusal),
                                 headers: [Self.modelVersionHeader: served.versionText])
    }

    private func predictions(_ request: Request, counts: Bool) async -> Response {
        guard let log = replica.log else { return JSONResponse.error("this replica runs without a prediction log", status: .notFound) }
        let parameters = request.uri.queryParameters
        var query = PredictionQuery()
        query.model = parameters["model"].map(String.init)
        if let text = parameters["version"] {
            guard let version = Int(text) else { return JSONResponse.error("'version' must be an integer", status: .badRequest) }
            query.version = version
        }
        if let text = parameters["status"] {
            guard let status = Int(text) else { return JSONResponse.error("'status' must be an HTTP status code", status: .badRequest) }
            query.status = status
        }
        if let text = parameters["since"] {
            guard let since = PredictionTime.parse(String(text)) else {
                return JSONResponse.error("'since' must be seconds since 1970 or an ISO 8601 time (2026-11-23T10:00:00Z)", status: .badRequest)
            }
            query.since = since
        }
        if let text = parameters["limit"] {
            guard let limit = Int(text), limit > 0 else { return JSONResponse.error("'limit' must be a positive integer", status: .badRequest) }
            query.limit = limit
        }
        let finalQuery = query
        do {
            return try await NIOThreadPool.singleton.runIfActive {
                let query = finalQuery
                log.flush()
                return counts ? JSONResponse.make(try log.counts(query)) : JSONResponse.make(try log.query(query))
            }
        } catch {
            return JSONResponse.error("cannot read the prediction log: \(error)", status: .internalServerError)
        }
    }
}

/// Parses `since` values: seconds since 1970, or ISO 8601.
public enum PredictionTime {
    public static func parse(_ text: String) -> Double? {
        if let seconds = Double(text) { return seconds }
        return ISO8601DateFormatter().date(from: text)?.timeIntervalSince1970
    }
}
