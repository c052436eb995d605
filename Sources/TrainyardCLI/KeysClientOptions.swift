import ArgumentParser
import ZeroMQ

/// CURVE flags of everything that connects to a coordinator (worker, submit, jobs, cluster status).
struct KeysClientOptions: ParsableArguments {
    @Option(help: "This peer's CURVE secret key file (from `trainyard keys generate`); its public key must be in the coordinator's --curve-allow.")
    var curveSecretKey: String?

    @Option(help: "The coordinator's CURVE public key file (its PREFIX.pub).")
    var coordinatorPublicKey: String?

    func validate() throws {
        if (curveSecretKey == nil) != (coordinatorPublicKey == nil) {
            throw ValidationError("give --curve-secret-key and --coordinator-public-key together")
        }
    }

    /// The keys, or `nil` for plaintext; a ``CommandFailure`` naming the file otherwise.
    func keys() throws -> CurveClientKeys? {
        guard let curveSecretKey, let coordinatorPublicKey else { return nil }
        do {
            return try CurveClientKeys(secretKeyFile: curveSecretKey, serverKeyFile: coordinatorPublicKey)
        } catch {
            throw CommandFailure("cannot use CURVE: \(error)")
        }
    }
}
