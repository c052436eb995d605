import FuzzTargets
import Foundation

// libFuzzer's driver around one of the fuzz targets, built only by bench/fuzz/run.sh (TRAINYARD_FUZZ=1 and
// -sanitize=fuzzer,address). The target is named by TRAINYARD_FUZZ_TARGET, which libFuzzer's child processes
// (-merge, -fork) inherit with the environment; every argument is libFuzzer's. `TrainyardFuzz seeds <dir>`
// writes the target's seed inputs into <dir> instead.

@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<CInt>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

let name = ProcessInfo.processInfo.environment["TRAINYARD_FUZZ_TARGET"] ?? ""
guard let target = FuzzTarget(rawValue: name) else {
    FileHandle.standardError.write(Data("TRAINYARD_FUZZ_TARGET must be one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
    exit(2)
}

if CommandLine.arguments.count == 3, CommandLine.arguments[1] == "seeds" {
    let directory = URL(fileURLWithPath: CommandLine.arguments[2])
    for (index, seed) in target.seeds.enumerated() {
        try Data(seed).write(to: directory.appendingPathComponent("seed-\(index)"))
    }
    exit(0)
}

nonisolated(unsafe) let selected = target

/// libFuzzer's entry, by its conventional name (libFuzzer's own main, which debug links pull in, refers to it).
@_cdecl("LLVMFuzzerTestOneInput")
func testOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    selected.run(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

var argc = CommandLine.argc
var argv = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv, testOneInput))
