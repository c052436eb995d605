/// Validates the names the registry puts in paths and URLs: model names and alias names.
///
/// A name is 1–64 characters of `a-z A-Z 0-9 . _ -`, starts with a letter or digit and is not
/// `.` or `..`, so it can never escape the store's directory or change a URL's path.
public enum ModelName {
    /// Throws ``RegistryError/invalidName(_:kind:)`` unless `name` is a valid model or alias name.
    public static func validate(_ name: String, kind: String = "model name") throws(RegistryError) {
        guard isValid(name) else { throw .invalidName(name, kind: kind) }
    }

    /// The one form an alias is stored and compared in: lower case, so `Production` and
    /// `PRODUCTION` are the `production` alias and pass its approval gate. Throws
    /// ``RegistryError/invalidName(_:kind:)`` unless `alias` is a valid name.
    public static func canonicalAlias(_ alias: String) throws(RegistryError) -> String {
        try validate(alias, kind: "alias")
        return alias.lowercased()
    }

    /// The alias that serves traffic: only approved versions may hold it.
    public static let production = "production"

    /// Whether `name` is a valid model or alias name.
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...64).contains(bytes.count), isAlphanumeric(bytes[0]) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }
}
