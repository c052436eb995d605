import Foundation
import Serving
import Testing
import TrainyardML

func randomDocument(depth: Int, using random: inout SplitMix64) -> (JSONValue, Any) {
    let kind = depth >= 4 ? Int.random(in: 0..<4, using: &random) : Int.random(in: 0..<6, using: &random)
    switch kind {
    case 0: return (.null, NSNull())
    case 1:
        let flag = Bool.random(using: &random)
        return (.bool(flag), flag)
    case 2:
        let number: Double = switch Int.random(in: 0..<5, using: &random) {
        case 0: Double(Int.random(in: -1_000_000...1_000_000, using: &random))
        case 1: Double(Int.random(in: -99_999...99_999, using: &random)) / 100
        case 2: Double.random(in: -1...1, using: &random)
        case 3: Double.random(in: -1e300...1e300, using: &random)
        default: Double(bitPattern: UInt64.random(in: 0x0010_0000_0000_0000...0x7FE0_0000_0000_0000, using: &random))
        }
        return (.number(number), number)
    case 3:
        let alphabet = Array("ab zé\"\\/\n\t\u{1}\u{1F600}日本-_0")
        let text = String((0..<Int.random(in: 0...12, using: &random)).map { _ in alphabet.randomElement(using: &random)! })
        return (.string(text), text)
    case 4:
        let elements = (0..<Int.random(in: 0...5, using: &random)).map { _ in randomDocument(depth: depth + 1, using: &random) }
        return (.array(elements.map(\.0)), elements.map(\.1))
    default:
        var members: [(key: String, value: JSONValue)] = []
        var object: [String: Any] = [:]
        for index in 0..<Int.random(in: 0...5, using: &random) {
            let (value, foundation) = randomDocument(depth: depth + 1, using: &random)
            let key = "k\(index)\(["", "é", "\"", "\\u"].randomElement(using: &random)!)"
            members.append((key, value))
            object[key] = foundation
        }
        return (.object(JSONObject(members)), object)
    }
}

/// Objects compare by member set (Foundation does not keep member order).
func sameDocument(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.object(let x), .object(let y)):
        guard x.members.count == y.members.count else { return false }
        return x.members.allSatisfy { member in y[member.key].map { sameDocument(member.value, $0) } ?? false }
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(sameDocument)
    default: return a == b
    }
}

func parseError(_ text: String) -> JSONParseError? {
    do { _ = try JSONParser.parse(Array(text.utf8)); return nil } catch { return error }
}

struct JSONParserTests {
    @Test func randomDocumentsWrittenByFoundationParseBackExactly() throws {
        var random = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let (expected, foundation) = randomDocument(depth: 0, using: &random)
            let data = try JSONSerialization.data(withJSONObject: foundation, options: [.fragmentsAllowed])
            let parsed = try JSONParser.parse(Array(data))
            #expect(sameDocument(parsed, expected), "\(String(decoding: data, as: UTF8.self))")
        }
    }

    @Test func numbersRoundTheWayTheCLibraryDoes() throws {
        var random = SplitMix64(seed: 11)
        var texts = ["0", "-0", "1", "88.77", "975.07", "0.1", "0.000123", "1e22", "1e23", "9007199254740993",
                     "123456789012345678901234567890", "4.9e-324", "2.2250738585072014e-308", "1.7976931348623157e308",
                     "0.30000000000000004", "1E+2", "1e-2", "-12.5e-3", "100000000000000000000"]
        for _ in 0..<5000 {
            let value = Double(bitPattern: UInt64.random(in: 0..<0x7FF0_0000_0000_0000, using: &random))
            texts.append("\(value)")
            texts.append(String(format: "%.\(Int.random(in: 1...20, using: &random))g", value))
            texts.append("\(Int.random(in: -99_999_999...99_999_999, using: &random)).\(Int.random(in: 0...9999, using: &random))")
        }
        for text in texts {
            let parsed = try JSONParser.parse(Array(text.utf8))
            #expect(parsed.number?.bitPattern == strtod(text, nil).bitPattern, "\(text)")
        }
    }

    @Test func escapesAndUnicode() throws {
        let text = #"["a\"b\\c\/d\b\f\n\r\t", "\u00e9\u65E5", "\ud83d\ude00", "é日😀"]"#
        let parsed = try JSONParser.parse(Array(text.utf8))
        #expect(parsed == .array([.string("a\"b\\c/d\u{8}\u{c}\n\r\t"), .string("é日"), .string("😀"), .string("é日😀")]))
        #expect(try JSONParser.parse(Array(" \n\t\r 42 \n".utf8)) == .number(42))
        #expect(try JSONParser.parse(Array(#"{"a": 1, "a": 2}"#.utf8)).object?["a"] == .number(2))
    }

    @Test func invalidDocumentsAreRefusedWithTheirPlace() {
        let cases: [(String, String)] = [
            ("[1, 2,]", "unexpected ']', expected a value"),
            ("{\"a\": 1,}", "expected a member name in double quotes"),
            ("[01]", "leading zeros"),
            ("[1.]", "digit after '.'"),
            ("[-]", "digit after '-'"),
            ("[1e]", "digit in its exponent"),
            ("['a']", "unexpected '''"),
            ("{a: 1}", "expected a member name"),
            ("[1] x", "unexpected data after the JSON value"),
            ("\"abc", "unterminated string"),
            ("\"a\u{1}b\"", "control character byte 0x01"),
            (#""\x""#, "invalid escape '\\x'"),
            (#""\u12G4""#, "four hex digits"),
            (#""\ud800""#, "unpaired UTF-16 surrogate"),
            (#""\udc00x""#, "unpaired UTF-16 surrogate"),
            ("[1e400]", "out of range"),
            ("tru", "expected 'true'"),
            ("nul", "expected 'null'"),
            ("[true false]", "expected ',' or ']'"),
            ("{\"a\" 1}", "expected ':'"),
            ("", "unexpected end of input"),
            ("// comment\n1", "unexpected '/'"),
            (String(repeating: "[", count: 600) + String(repeating: "]", count: 600), "nested deeper than 512 levels"),
        ]
        for (text, fragment) in cases {
            let error = parseError(text)
            #expect(error?.message.contains(fragment) == true, "\(text.prefix(30)): \(String(describing: error))")
        }
        #expect(parseError(String(repeating: "[", count: 512) + String(repeating: "]", count: 512)) == nil)
        var invalidUTF8 = Array("[\"ab".utf8)
        invalidUTF8 += [0xC3, 0x28]
        invalidUTF8 += Array("\"]".utf8)
        #expect(throws: JSONParseError.self) { try JSONParser.parse(invalidUTF8) }
        let placed = parseError("{\n  \"a\": [1,\n    2,, 3]\n}")
        #expect(placed?.line == 3 && placed?.column == 7, "\(String(describing: placed))")
        #expect(placed?.description.hasSuffix("at line 3, column 7") == true)
    }

    @Test func truncatedDocumentsNeverCrashAndAlwaysFail() throws {
        let document = Array(#"{"dataframe_split": {"columns": ["a", "b\u00e9"], "data": [[1.5, "x"], [null, true], [-2e3, "y\n"]]}}"#.utf8)
        _ = try JSONParser.parse(document)
        for length in 0..<document.count {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(Array(document[..<length])) }
        }
    }
}
