import Foundation

extension DemoServing {
    /// Reviews the sentiment model answers in the demo: plain praise, plain criticism, and negated
    /// phrases whose words alone point the other way.
    static let demoReviews = [
        "The acting was wonderful and the story was moving.",
        "The plot was boring and the ending was predictable.",
        "Honestly the film was not boring at all, and never predictable.",
        "The cast was not great and the script was hardly clever.",
    ]

    /// The second use case: serves `name`@production (a sentiment model, version `version`) with
    /// one replica behind a proxy of its own, and sends it ``demoReviews`` through that proxy.
    func runSentiment(model name: String, version: Int) async throws {
        let replicaPort = basePort + 3, proxyPort = basePort + 11
        var children: [Process] = []
        defer { Self.stop(children) }
        say("\n== a replica serving \(name)@production (version \(version)) behind a proxy of its own (one model per replica pool)")
        children.append(try spawn(["serve", "--registry", registry.baseURL, "--model", name, "--listen", "127.0.0.1:\(replicaPort)",
                                   "--log", directory.appendingPathComponent("predictions-\(name).sqlite").path,
                                   "--log-level", "warning"], log: "replica-\(name).log"))
        children.append(try spawn(["proxy", "--listen", "127.0.0.1:\(proxyPort)", "--health-interval", "200ms",
                                   "--backend", "http://127.0.0.1:\(replicaPort)", "--log-level", "warning"], log: "proxy-\(name).log"))
        try await waitForOK("http://127.0.0.1:\(replicaPort)/v2/health/ready", children: children)
        try await waitForOK("http://127.0.0.1:\(proxyPort)/v2/health/ready", children: children)

        say("\n== reviews through the proxy on :\(proxyPort) (POST /predict)")
        for review in Self.demoReviews {
            let body = try JSONSerialization.data(withJSONObject: ["review": review])
            let (status, _, text) = try await post("http://127.0.0.1:\(proxyPort)/predict", Array(body))
            let first = Self.firstPrediction(text)
            let label = first?["class"] as? String ?? "?"
            let probability = (first?["probabilities"] as? [String: Double])?[label] ?? .nan
            say(String(format: "  %@ → %@ (p = %.3f)  [%d]", "\"\(review)\"", label, probability, status))
        }
    }
}
