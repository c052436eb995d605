import Testing
@testable import TrainyardML

struct LIBSVMReaderTests {
    @Test func sparseRowsBecomeColumnsWithAbsentEntriesMissing() throws {
        let table = try LIBSVMReader.read(text: "1 0:0.5 2:3 # first\n0 qid:4 1:-1\n\n1 2:7e-1\n", name: "t.svm")
        #expect(table.names == ["label", "f0", "f1", "f2"])
        #expect(table["label"] == .numeric([1, 0, 1]))
        guard case .numeric(let f2) = table["f2"]!, case .numeric(let f0) = table["f0"]! else { Issue.record("not numeric"); return }
        #expect(f2[0] == 3 && f2[1].isNaN && f2[2] == 0.7)
        #expect(f0[0] == 0.5 && f0[1].isNaN)
    }

    @Test func badTokensNameTheLine() throws {
        #expect(throws: DatasetError.malformedRow(file: "t.svm", line: 2,
                                                 reason: "'3=1' is not index:value with a non-negative integer index and a number")) {
            try LIBSVMReader.read(text: "1 1:1\n0 3=1\n", name: "t.svm")
        }
        let skipped = try LIBSVMReader.read(text: "1 1:1\nyes 1:2\n0 1:3\n", name: "t.svm", skipBadRows: true)
        #expect(skipped.rows == 2 && skipped.skippedLines == [2])
    }
}
