import Prometheus
import Synchronization

/// A replica's Prometheus metrics, exposed at `GET /metrics`:
/// `trainyard_requests_total{endpoint,code}` (the status code, labelled `code` as on the proxy), `trainyard_request_duration_seconds{endpoint}`,
/// `trainyard_predicted_rows_total`, `trainyard_model_version{model}`,
/// `trainyard_model_loads_total`, `trainyard_model_load_failures_total`, `trainyard_model_refusals_total`,
/// `trainyard_prediction_log_pending` and `trainyard_prediction_log_dropped_total`; with a model that has a
/// baseline, `trainyard_feature_drift_psi{model,version,feature}`, `trainyard_prediction_drift_psi{model,version}`
/// and `trainyard_drift_window_rows{model,version}`, refreshed at every scrape.
public final class ServingMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let requests = Mutex<[String: Counter]>([:])
    private let durations = Mutex<[String: DurationHistogram]>([:])
    private let rows: Counter
    private let loads: Counter
    private let loadFailures: Counter
    private let refusals: Counter
    /// By feature (the model's, so a bounded set of labels).
    private let unseen = Mutex<[String: Counter]>([:])
    let logPending: Gauge
    let logDropped: Counter
    private let modelVersion = Mutex<Gauge?>(nil)
    /// The drift gauges of the version last reported, by feature ("" for the predictions, "#rows" for the window).
    private let drift = Mutex<(version: Int, gauges: [String: Gauge])?>(nil)

    static let buckets: [Duration] = [.microseconds(100), .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2),
                                      .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
                                      .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(5)]

    public init() {
        rows = registry.makeCounter(name: "trainyard_predicted_rows_total", help: "Rows predicted.")
        loads = registry.makeCounter(name: "trainyard_model_loads_total", help: "Model versions loaded.")
        loadFailures = registry.makeCounter(name: "trainyard_model_load_failures_total", help: "Failed attempts to load a model version.")
        refusals = registry.makeCounter(name: "trainyard_model_refusals_total",
                                        help: "Model versions refused because their file does not load (the current version keeps serving).")
        logPending = registry.makeGauge(name: "trainyard_prediction_log_pending", help: "Prediction log records not yet written.")
        logDropped = registry.makeCounter(name: "trainyard_prediction_log_dropped_total", help: "Prediction log records dropped (backlog full).")
    }

    /// Counts one response and its latency.
    public func record(endpoint: String, status: Int, duration: Duration, rows predicted: Int) {
        let key = endpoint + " " + String(status)
        let counter = requests.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(name: "trainyard_requests_total", labels: [("endpoint", endpoint), ("code", String(status))],
                                               help: "Requests answered, by endpoint and HTTP status.")
            counters[key] = counter
            return counter
        }
        counter.increment()
        let histogram = durations.withLock { histograms in
            if let histogram = histograms[endpoint] { return histogram }
            let histogram = registry.makeDurationHistogram(name: "trainyard_request_duration_seconds", labels: [("endpoint", endpoint)],
                                                           buckets: Self.buckets, help: "Request latency, by endpoint.")
            histograms[endpoint] = histogram
            return histogram
        }
        histogram.record(duration)
        if predicted > 0 { rows.increment(by: Int64(predicted)) }
    }

    /// Counts rows whose `feature` held a category the served model was not trained with (encoded as all-zero).
    public func recordUnseenCategories(feature: String, rows: Int) {
        let counter = unseen.withLock { counters in
            if let counter = counters[feature] { return counter }
            let counter = registry.makeCounter(name: "trainyard_unseen_categories_total", labels: [("feature", feature)],
                                               help: "Rows predicted with a category the model was not trained with, by feature.")
            counters[feature] = counter
            return counter
        }
        counter.increment(by: Int64(rows))
    }

    func modelLoaded(_ model: ServedModel) {
        loads.increment()
        let gauge = modelVersion.withLock { gauge in
            if gauge == nil {
                gauge = registry.makeGauge(name: "trainyard_model_version", labels: [("model", model.name)], help: "The model version being served.")
            }
            return gauge!
        }
        gauge.set(to: Double(model.version))
    }

    func modelLoadFailed() { loadFailures.increment() }

    func modelRefused() {
        loadFailures.increment()
        refusals.increment()
    }

    /// Sets the drift gauges from `report`; a new version's gauges replace the previous version's.
    public func updateDrift(_ report: DriftReport) {
        let gauges = drift.withLock { state -> [String: Gauge] in
            if let state, state.version == report.version { return state.gauges }
            for gauge in state?.gauges.values ?? [:].values { registry.unregisterGauge(gauge) }
            let labels = [("model", report.model), ("version", String(report.version))]
            var gauges: [String: Gauge] = [:]
            for feature in report.features where feature.kind != .text {
                gauges[feature.name] = registry.makeGauge(name: "trainyard_feature_drift_psi", labels: labels + [("feature", feature.name)],
                                                          help: "PSI of a feature's recent values against the training baseline.")
            }
            gauges[""] = registry.makeGauge(name: "trainyard_prediction_drift_psi", labels: labels,
                                            help: "PSI of the recent predictions against the training predictions.")
            gauges["#rows"] = registry.makeGauge(name: "trainyard_drift_window_rows", labels: labels,
                                                 help: "Rows in the drift window.")
            state = (report.version, gauges)
            return gauges
        }
        for feature in report.features { if let psi = feature.psi { gauges[feature.name]?.set(to: psi) } }
        if let psi = report.prediction.psi { gauges[""]?.set(to: psi) }
        gauges["#rows"]?.set(to: Double(report.rows))
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] { registry.emitToBuffer() }
}
