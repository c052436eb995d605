/// A model version a replica was told to serve and refused because its file does not load
/// (a broken structure behind a valid checksum, say). The replica keeps serving what it had and
/// reports the refusal in `GET /v2/models/{name}`, its log and `trainyard_model_refusals_total`.
public struct ModelRefusal: Sendable, Equatable, Encodable {
    public var version: Int
    public var sha256: String
    /// Why the file was refused, as the model reader put it.
    public var reason: String
}
