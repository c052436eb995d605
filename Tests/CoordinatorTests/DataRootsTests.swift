@testable import Coordinator
import Foundation
import Testing
import TrainyardML

/// Which data paths a coordinator reads: regular files under its roots, symbolic links resolved.
struct DataRootsTests {
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("roots-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: root + "/sub", withIntermediateDirectories: true)
        try "a,b\n1,2\n".write(toFile: root + "/sub/data.csv", atomically: true, encoding: .utf8)
    }

    @Test func aRegularFileUnderARootResolvesToItsRealPath() throws {
        let roots = try DataRoots([root])
        try FileManager.default.createSymbolicLink(atPath: root + "/link.csv", withDestinationPath: root + "/sub/data.csv")
        let real = try DataRoots.realPath(root + "/sub/data.csv")!
        #expect(try roots.resolve(root + "/sub/data.csv") == real)
        #expect(try roots.resolve(root + "/link.csv") == real)
        #expect(try roots.resolve(root + "/sub/../sub/data.csv") == real)
    }

    @Test func pathsOutsideTheRootsAreRefusedWhetherOrNotTheyExist() throws {
        let roots = try DataRoots([root + "/sub"])
        try FileManager.default.createSymbolicLink(atPath: root + "/sub/escape.csv", withDestinationPath: "/etc/passwd")
        for path in ["/etc/passwd", "/etc/no-such-file", "/dev/zero", "/proc/self/environ", root + "/sub/../x.csv",
                     root + "/sub/escape.csv", root + "/subway/data.csv"] {
            #expect(throws: DataPathError.outsideRoots(path: path, roots: roots.configured)) { try roots.resolve(path) }
        }
    }

    @Test func fifosDirectoriesAndMissingFilesUnderARootAreRefused() throws {
        let roots = try DataRoots([root])
        #expect(mkfifo(root + "/fifo.csv", 0o600) == 0)
        #expect(throws: DataPathError.notRegularFile(path: root + "/fifo.csv", kind: "FIFO")) { try roots.resolve(root + "/fifo.csv") }
        #expect(throws: DataPathError.notRegularFile(path: root + "/sub", kind: "directory")) { try roots.resolve(root + "/sub") }
        #expect(throws: DataPathError.notFound(path: root + "/none.csv")) { try roots.resolve(root + "/none.csv") }
    }

    @Test func aMissingRootIsRefusedAtStart() {
        #expect(throws: DataPathError.unusableRoot(root + "/nope", reason: "it does not exist")) { try DataRoots([root + "/nope"]) }
        #expect(throws: DataPathError.unusableRoot(root + "/sub/data.csv", reason: "it is not a directory")) {
            try DataRoots([root + "/sub/data.csv"])
        }
    }

    @Test func theHeaderIsReadFromTheFirstLineOnlyAndAnEndlessLineIsRefused() throws {
        let real = try DataRoots([root]).resolve(root + "/sub/data.csv")
        #expect(try DataHeader.columns(of: DatasetSource(path: "data.csv"), realPath: real) == ["a", "b"])
        let long = root + "/long.csv"
        try Data(repeating: UInt8(ascii: "x"), count: DataHeader.maxBytes + 10).write(to: URL(fileURLWithPath: long))
        #expect(throws: JobRequestError.self) { try DataHeader.columns(of: DatasetSource(path: "long.csv"), realPath: long) }
    }

    @Test func dataErrorsKeepLineAndColumnButDropTheValues() {
        let bad = DatasetError.badValue(file: "f.csv", line: 7, column: "ssn", value: "123-45-6789", expected: "a number")
        #expect(RedactedError(bad).description == "f.csv:7: column 'ssn': a value is not a number")
        let row = DatasetError.malformedRow(file: "f.svm", line: 3, reason: "label 'SECRET' is not a number")
        #expect(!RedactedError(row).description.contains("SECRET"))
        #expect(RedactedError(row).description.hasPrefix("f.svm:3: malformed row"))
        let label = LabelError.unknownClass("y", row: 4, value: "SECRET", known: ["a", "b"])
        #expect(!RedactedError(label).description.contains("SECRET"))
    }
}
