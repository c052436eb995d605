import Crypto
import Foundation
import Testing
@testable import TrainyardML

struct ModelFileTests {
    func trainedModel() throws -> TrainyardModel {
        let csv = SyntheticChurn.csv(rows: 800, seed: 1)
        let table = try CSVReader.read(bytes: Array(csv.utf8), name: "churn.csv")
        var request = TrainingRequest(label: "churned")
        request.gbdt.trees = 5
        return try TrainingPipeline.run(train: table, request: request).model
    }

    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("model-\(UUID().uuidString).tym").path
    }

    @Test func modelsRoundTripThroughTheFileExactly() throws {
        let model = try trainedModel()
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ModelFile.write(model, to: path)
        #expect(try ModelFile.read(path: path) == model)
        // Writing again replaces the file atomically and leaves no temporary file behind.
        try ModelFile.write(model, to: path)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
            .filter { $0.contains(URL(fileURLWithPath: path).lastPathComponent + ".tmp") }
        #expect(leftovers.isEmpty)
    }

    @Test func aCorruptedByteIsDetectedByTheChecksum() throws {
        var bytes = try ModelFile.encode(trainedModel())
        let target = bytes.count - 100
        bytes[target] = bytes[target] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
        #expect {
            try ModelFile.decode(bytes, path: "m")
        } throws: { error in
            guard case .checksumMismatch = error as? ModelFileError else { return false }
            return true
        }
    }

    @Test func truncatedForeignAndFutureFilesAreRefused() throws {
        let bytes = try ModelFile.encode(trainedModel())
        #expect {
            try ModelFile.decode(Array(bytes.dropLast(10)), path: "m")
        } throws: { error in
            guard case .truncated = error as? ModelFileError else { return false }
            return true
        }
        #expect(throws: ModelFileError.notAModel("m")) { try ModelFile.decode(Array("a,b\n1,2\n".utf8), path: "m") }
        var future = bytes
        future[16] = UInt8(ascii: "9")            // "trainyard-model 9 …"
        #expect(throws: ModelFileError.unsupportedVersion("m", found: 9, supported: 2)) { try ModelFile.decode(future, path: "m") }
    }

    @Test func predictionsAfterReloadAreIdentical() throws {
        let model = try trainedModel()
        let table = try CSVReader.read(bytes: Array(SyntheticChurn.csv(rows: 300, seed: 2).utf8), name: "x.csv",
                                       options: { var o = CSVOptions(); o.kinds = model.preprocessor.columnKinds; o.strictKinds = false; return o }())
        let reloaded = try ModelFile.decode(ModelFile.encode(model), path: "m")
        #expect(try reloaded.predict(table) == model.predict(table))
    }

    @Test func digestsPrintAsLowerCaseHex() {
        // FIPS 180-2 test vectors.
        #expect(SHA256.hash(data: Array("abc".utf8)).hex == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(data: [UInt8]()).hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }
}
