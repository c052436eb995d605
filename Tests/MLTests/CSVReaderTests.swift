import Testing
@testable import TrainyardML

struct CSVReaderTests {
    func read(_ text: String, _ configure: (inout CSVOptions) -> Void = { _ in }) throws(DatasetError) -> Table {
        var options = CSVOptions()
        configure(&options)
        return try CSVReader.read(bytes: Array(text.utf8), name: "t.csv", options: options)
    }

    @Test func infersNumericCategoricalAndTextColumns() throws {
        let table = try read("""
            age,plan,review,churn
            34,basic,"great service, would recommend to friends",0
            ,premium,terrible support and slow answers every time,1
            51.5,basic,NA,0
            """)
        #expect(table.rows == 3)
        #expect(table.names == ["age", "plan", "review", "churn"])
        guard case .numeric(let age) = table["age"]! else { Issue.record("age is not numeric"); return }
        #expect(age[0] == 34 && age[1].isNaN && age[2] == 51.5)
        #expect(table["plan"] == .categorical(codes: [0, 1, 0], levels: ["basic", "premium"]))
        #expect(table["review"]?.kind == .text)
        #expect(table["churn"] == .numeric([0, 1, 0]))
    }

    @Test func quotedFieldsMayHoldDelimitersQuotesAndNewlines() throws {
        let table = try read("id,note\n1,\"a, \"\"b\"\"\nc\"\n2,plain\n") { $0.kinds = ["note": .categorical] }
        #expect(table["note"] == .categorical(codes: [0, 1], levels: ["a, \"b\"\nc", "plain"]))
    }

    @Test func missingTokensAndBlankLinesAndCRLF() throws {
        let table = try read("x,y\r\n1,NaN\r\n\r\nnull,2\r\n")
        #expect(table.rows == 2)
        guard case .numeric(let x) = table["x"]!, case .numeric(let y) = table["y"]! else { Issue.record("not numeric"); return }
        #expect(x[0] == 1 && x[1].isNaN && y[0].isNaN && y[1] == 2)
    }

    @Test func aRowWithTheWrongFieldCountNamesItsLine() {
        #expect(throws: DatasetError.malformedRow(file: "t.csv", line: 4, reason: "expected 2 fields as in the header, found 3")) {
            try read("a,b\n1,2\n\n3,4,5\n6,7\n")
        }
    }

    @Test func aValueThatIsNotANumberInADeclaredNumericColumnNamesLineAndColumn() {
        #expect(throws: DatasetError.badValue(file: "t.csv", line: 3, column: "b", value: "x7", expected: "a number")) {
            try read("a,b\n1,2\n3,x7\n") { $0.kinds = ["b": .numeric] }
        }
    }

    @Test func badRowsCanBeSkippedAndCounted() throws {
        let table = try read("a,b\n1,2\n3\n4,5\n6,z\n") { options in
            options.skipBadRows = true
            options.kinds = ["b": .numeric]
        }
        #expect(table.rows == 2)
        #expect(table.skippedLines == [3, 5])
        #expect(table["a"] == .numeric([1, 4]))
    }

    @Test func lineNumbersStayRightAcrossParallelChunks() throws {
        // Enough rows for several chunks; the bad row is near the end.
        var text = "a,b\n"
        for i in 0..<200_000 { text += "\(i),\(i % 7)\n" }
        text += "1,2,3\n"
        #expect(throws: DatasetError.malformedRow(file: "t.csv", line: 200_002, reason: "expected 2 fields as in the header, found 3")) {
            try read(text) { $0.threads = 2 }
        }
    }

    @Test func headerProblemsAreReported() {
        #expect(throws: DatasetError.emptyFile(file: "t.csv")) { try read("") }
        #expect(throws: DatasetError.duplicateColumn(file: "t.csv", name: "a")) { try read("a,a\n1,2\n") }
        #expect(throws: DatasetError.unknownColumn(file: "t.csv", name: "zz", available: ["a"])) {
            try read("a\n1\n") { $0.kinds = ["zz": .text] }
        }
        #expect(throws: DatasetError.unreadable(file: "/nonexistent.csv", reason: "no such file")) {
            try CSVReader.read(path: "/nonexistent.csv")
        }
    }

    @Test func numbersParseExactly() throws {
        let values = ["0.1", "-2.5e-3", "1E10", "123456789012", "3.4028235e38", "1e-45", "+7", "0.30000001192092896"]
        let table = try read("x\n" + values.joined(separator: "\n") + "\n")
        guard case .numeric(let parsed) = table["x"]! else { Issue.record("not numeric"); return }
        #expect(parsed == values.map { Float($0)! })
    }
}
