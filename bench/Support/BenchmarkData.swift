import Foundation
import TrainyardML

/// The benchmark dataset written by bench/gbdt/make_data.py: 1.1M × 28 little-endian f32
/// features and f32 labels; the first 1,000,000 rows train, the last 100,000 test.
public struct BenchmarkData {
    public static let features = 28
    public static let trainRows = 1_000_000

    public let train: DenseMatrix
    public let trainLabels: [Float]
    public let test: DenseMatrix
    public let testLabels: [Float]

    /// Loads `<directory>/cls_1.1m.*.f32`; exits with a hint when they are missing.
    public init(directory: String) {
        let all = Self.floats("\(directory)/cls_1.1m.features.f32")
        let labels = Self.floats("\(directory)/cls_1.1m.labels.f32")
        let split = Self.trainRows * Self.features
        train = DenseMatrix(rows: Self.trainRows, columns: Self.features, values: Array(all[0..<split]))
        test = DenseMatrix(rows: labels.count - Self.trainRows, columns: Self.features, values: Array(all[split...]))
        trainLabels = Array(labels[0..<Self.trainRows])
        testLabels = Array(labels[Self.trainRows...])
    }

    static func floats(_ path: String) -> [Float] {
        guard let data = FileManager.default.contents(atPath: path) else {
            FileHandle.standardError.write(Data("cannot read \(path): run bench/setup.sh first\n".utf8))
            exit(2)
        }
        return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }
}

/// The value of `--name` on the command line, or `fallback`.
public func benchmarkOption(_ name: String, _ fallback: String) -> String {
    let arguments = CommandLine.arguments
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
    return arguments[i + 1]
}
