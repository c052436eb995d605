/// Why a prediction request was refused: always the client's input, answered with a 4xx
/// whose message names the field.
public struct InputError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400, 413 or 415.
    public var status: Int
    public var message: String

    public init(_ message: String, status: Int = 400) {
        self.status = status
        self.message = message
    }

    public var description: String { message }
}
