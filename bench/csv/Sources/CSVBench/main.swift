// CSV loading benchmark, our side: reads a CSV into a columnar Table and prints one JSON line
// with the median of `--repeats` wall times. bench/csv/pandas_read.py does the same with pandas.
import Foundation
import TrainyardML

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    FileHandle.standardError.write(Data("usage: CSVBench FILE [--repeats N]\n".utf8))
    exit(2)
}
let path = arguments[1]
let repeats = arguments.firstIndex(of: "--repeats").flatMap { Int(arguments[$0 + 1]) } ?? 3
var times: [Double] = []
var table: Table?
for _ in 0..<repeats {
    let start = ContinuousClock.now
    table = try CSVReader.read(path: path)
    times.append((ContinuousClock.now - start) / .seconds(1))
}
let median = times.sorted()[times.count / 2]
print(String(format: #"{"lib": "trainyard", "seconds": %.3f, "rows": %d, "columns": %d}"#, median, table!.rows, table!.names.count))
