import HTTPTypes
import Hummingbird
import NIOCore
@testable import Serving
import Testing

/// The replica echoes the request id a client or proxy sent, and makes one up otherwise.
struct RequestIDTests {
    private func request(_ fields: HTTPFields) -> Request {
        Request(head: HTTPRequest(method: .post, scheme: "http", authority: "replica", path: "/predict", headerFields: fields),
                body: RequestBody(buffer: ByteBuffer()))
    }

    @Test func theFirstSuppliedIDIsKept() {
        let id = HTTPField.Name("X-Request-Id")!
        #expect(ReplicaRoutes.requestID(of: request([id: "abc-123"])) == "abc-123")
        var repeated = HTTPFields()
        repeated.append(HTTPField(name: .contentType, value: "application/json"))
        repeated.append(HTTPField(name: HTTPField.Name("x-request-id")!, value: "first"))
        repeated.append(HTTPField(name: id, value: "second"))
        #expect(ReplicaRoutes.requestID(of: request(repeated)) == "first")
    }

    @Test(arguments: [String(repeating: "a", count: 129), String(repeating: "x", count: 8192), "<script>alert(1)</script>",
                      "id with spaces", "caf\u{e9}", "quote\"d", ""])
    func anIDOutsideTheCharsetOrLengthIsReplaced(hostile: String) {
        let id = ReplicaRoutes.requestID(of: request([HTTPField.Name("X-Request-Id")!: hostile]))
        #expect(id != hostile)
        #expect(id.utf8.count == 16, "\(id)")
    }

    @Test func uuidsTraceIDsAndBase64AreKept() {
        for id in ["3f2b8c1e-8a7d-4d2e-9c55-0b6f3e1d2a44", "Root=1-5759e988-bd862e3fe1be46a994272793", "dGVzdA+/==",
                   String(repeating: "z", count: 128)] {
            #expect(ReplicaRoutes.requestID(of: request([HTTPField.Name("X-Request-Id")!: id])) == id)
        }
    }

    @Test func aMissingIDIsSixteenHexDigitsAndNew() {
        var seen = Set<String>()
        for _ in 0..<1000 {
            let id = ReplicaRoutes.requestID(of: request([.contentType: "application/json"]))
            #expect(id.utf8.count == 16 && id.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }, "\(id)")
            seen.insert(id)
        }
        #expect(seen.count == 1000)
    }
}
