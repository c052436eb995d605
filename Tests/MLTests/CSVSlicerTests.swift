import Testing
@testable import TrainyardML

/// Slices of whole CSV records for workers: every record in exactly one slice, never cut inside
/// a quoted field, each slice's first line numbered as in the file; predictions written as
/// `trainyard predict` writes them, kept columns quoted where CSV needs it.
struct CSVSlicerTests {
    @Test func slicesCoverEveryRecordOnceAndNumberTheirFirstLines() throws {
        let text = "a,b\n1,x\n2,\"two\nlines\"\n3,z\n4,w"
        let bytes = Array(text.utf8)
        let (header, slices) = try #require(CSVSlicer.slices(bytes, target: 1))
        #expect(String(decoding: bytes[header], as: UTF8.self) == "a,b")
        #expect(slices.map { String(decoding: bytes[$0.range], as: UTF8.self) } == ["1,x\n", "2,\"two\nlines\"\n", "3,z\n", "4,w"])
        #expect(slices.map(\.firstLine) == [2, 3, 5, 6])
        // One slice when the target is larger than the file; CRLF headers lose their \r.
        let crlf = Array("a,b\r\n1,2\r\n".utf8)
        let (crlfHeader, whole) = try #require(CSVSlicer.slices(crlf, target: 1 << 20))
        #expect(String(decoding: crlf[crlfHeader], as: UTF8.self) == "a,b" && whole.count == 1 && whole[0].firstLine == 2)
        #expect(CSVSlicer.slices(Array("no newline".utf8), target: 10) == nil)
        #expect(CSVSlicer.slices(Array("a,b\n\n".utf8), target: 10)?.slices == [])
    }

    @Test func everySliceParsesAloneToTheRowsOfTheWholeFile() throws {
        let csv = SyntheticChurn.csv(rows: 3000, seed: 4)
        let bytes = Array(csv.utf8)
        let whole = try CSVReader.read(bytes: bytes, name: "churn")
        let (header, slices) = try #require(CSVSlicer.slices(bytes, target: 10_000))
        #expect(slices.count > 5)
        var rows = 0
        for slice in slices {
            let part = try CSVReader.read(bytes: Array(bytes[header]) + [10] + Array(bytes[slice.range]), name: "churn")
            #expect(part.rows > 0)
            rows += part.rows
        }
        #expect(rows == whole.rows)
    }

    @Test func keptColumnsAreQuotedWhereCSVNeedsIt() {
        #expect(PredictionWriter.field("plain") == "plain")
        #expect(PredictionWriter.field("a,b") == "\"a,b\"" && PredictionWriter.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(PredictionWriter.field("two\nlines") == "\"two\nlines\"")
    }

    @Test func aSlicesLineNumbersBecomeTheFilesInErrors() {
        let error = DatasetError.malformedRow(file: "churn@4", line: 3, reason: "expected 2 fields")
        #expect(error.shiftingLines(by: 14_997).description == "churn@4:15000: expected 2 fields")
    }
}
