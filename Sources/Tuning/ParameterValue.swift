/// One value of a tuned parameter: a number, an integer or a name (`choice` entries, `model`).
public enum ParameterValue: Sendable, Hashable, Codable, CustomStringConvertible {
    case double(Double)
    case int(Int)
    case string(String)

    /// The value as a number (integers widened), or `nil` for a name.
    public var number: Double? {
        switch self {
        case .double(let value): value
        case .int(let value): Double(value)
        case .string: nil
        }
    }

    public var description: String {
        switch self {
        case .double(let value): "\(value)"
        case .int(let value): "\(value)"
        case .string(let value): value
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let value = try? container.decode(Int.self) {
            self = .int(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else {
            self = .string(try container.decode(String.self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .double(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        case .string(let value): try container.encode(value)
        }
    }
}
