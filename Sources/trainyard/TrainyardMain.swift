import Foundation
import TrainyardCLI

/// Entry point: everything lives in `TrainyardCLI` so tests can parse the same commands.
@main
enum TrainyardMain {
    static func main() async {
        // Line-buffer stdout so output interleaves with the logs on stderr in order.
        setvbuf(stdout, nil, _IOLBF, 0)
        await Trainyard.main()
    }
}
