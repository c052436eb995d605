import TrainyardCLI

/// Entry point: everything lives in `TrainyardCLI` so tests can parse the same commands.
@main
enum TrainyardMain {
    static func main() async {
        await Trainyard.main()
    }
}
