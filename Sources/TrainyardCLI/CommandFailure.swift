/// A command that could not do its job, for a reason the user can act on.
/// ArgumentParser prints it as `Error: <message>` and exits with status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let message: String

    init(_ message: String) { self.message = message }

    var description: String { message }
}
