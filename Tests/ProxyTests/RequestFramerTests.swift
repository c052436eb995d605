import NIOCore
import NIOHTTP1
import Testing
@testable import Proxy

/// The client side's framing: pipelined requests split anywhere give the same requests, chunked bodies are
/// de-chunked, and every ambiguous or malformed request is refused (a proxy that frames a request differently
/// from its backend can be used to smuggle requests).
struct RequestFramerTests {
    /// A request as the framer saw it: method, target, version, keep-alive, forwarded lines, body.
    struct Seen: Equatable {
        var method = ""
        var target = ""
        var version = ""
        var keepAlive = false
        var lines: [String] = []
        var body = ""
    }

    /// Frames `input` fed in pieces of `piece` bytes (all at once for 0).
    func frame(_ input: String, piece: Int = 0) throws(RequestFramer.Malformed) -> [Seen] {
        var framer = RequestFramer()
        var seen: [Seen] = []
        var current: Seen?
        let bytes = Array(input.utf8)
        let step = piece == 0 ? max(bytes.count, 1) : piece
        for start in stride(from: 0, to: bytes.count, by: step) {
            try framer.feed(ByteBuffer(bytes: bytes[start..<min(start + step, bytes.count)])) { event in
                switch event {
                case .head(let head):
                    current = Seen(method: String(buffer: head.slice(head.method)), target: head.targetString,
                                   version: "\(head.version)", keepAlive: head.keepAlive,
                                   lines: head.forwardedLines.map { String(buffer: head.slice($0)) })
                case .body(let part):
                    current!.body += String(buffer: part)
                case .end:
                    seen.append(current!)
                    current = nil
                }
            }
        }
        #expect(current == nil && !framer.isMidRequest, "a request left unfinished")
        return seen
    }

    func refusal(_ input: String) -> String? {
        do {
            _ = try frame(input)
            return nil
        } catch {
            return error.reason
        }
    }

    @Test func pipelinedRequestsSplitAnywhereGiveTheSameRequests() throws {
        let input = "\r\nPOST /predict HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello"
            + "GET /metrics?x=1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"
            + "PUT /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3;ext=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-T: 1\r\n\r\n"
            + "DELETE /d HTTP/1.0\r\n\r\n"
        let whole = try frame(input)
        #expect(whole == [
            Seen(method: "POST", target: "/predict", version: "HTTP/1.1", keepAlive: true, lines: ["Host: a"], body: "hello"),
            Seen(method: "GET", target: "/metrics?x=1", version: "HTTP/1.0", keepAlive: true, lines: [], body: ""),
            Seen(method: "PUT", target: "/c", version: "HTTP/1.1", keepAlive: false, lines: [], body: "abc0123456789abcdef"),
            Seen(method: "DELETE", target: "/d", version: "HTTP/1.0", keepAlive: false, lines: [], body: ""),
        ])
        for piece in [1, 2, 3, 7, 16, 61] {
            #expect(try frame(input, piece: piece) == whole, "pieces of \(piece) bytes")
        }
    }

    @Test func ambiguousAndMalformedRequestsAreRefused() {
        let cases: [(String, String)] = [
            ("POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", "both Content-Length and Transfer-Encoding"),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", "other than chunked"),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", "more than one Transfer-Encoding"),
            ("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", "HTTP/1.0"),
            ("POST / HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n", "conflicting Content-Length"),
            ("POST / HTTP/1.1\r\nContent-Length: -3\r\n\r\n", "bad Content-Length"),
            ("POST / HTTP/1.1\r\nContent-Length: 3, 3\r\n\r\n", "bad Content-Length"),
            ("GET / HTTP/1.1\r\nX-A: 1\r\n folded\r\n\r\n", "line folding"),
            ("GET / HTTP/1.1\r\nContent-Length : 0\r\n\r\n", "bad header name"),
            ("GET / HTTP/1.1\r\n: empty\r\n\r\n", "without a name"),
            ("GET / HTTP/1.1\nHost: a\r\n\r\n", "CRLF"),
            // Every line in bare LF: refused when the first line arrives, not held waiting for a CRLFCRLF.
            ("GET / HTTP/1.1\nHost: a\n\n", "CRLF"),
            ("GET / HTTP/1.1\n", "CRLF"),
            ("\nGET / HTTP/1.1\r\n\r\n", "CRLF"),
            ("GET / HTTP/2.0\r\n\r\n", "unsupported HTTP version"),
            ("GET /a b HTTP/1.1\r\n\r\n", "bad request target"),
            ("G(T / HTTP/1.1\r\n\r\n", "bad method"),
            ("NOT HTTP AT ALL\r\n\r\n", "bad request target"),
            ("GET /\r\n\r\n", "bad request line"),
            ("GET / HTTP/1.1\r\nX-A: a\u{01}b\r\n\r\n", "control character"),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
            ("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "longer than its size"),
            ("GET / HTTP/1.1\r\nX-Big: " + String(repeating: "x", count: RequestFramer.maxHeadBytes) + "\r\n\r\n", "head longer than"),
        ]
        for (input, reason) in cases {
            let refused = refusal(input)
            #expect(refused?.contains(reason) == true, "\(input.prefix(60).debugDescription): \(refused ?? "accepted")")
        }
    }

    @Test func aClientRequestIDIsKeptOnlyWithinTheCharsetAndLength() throws {
        let kept = try frame("GET / HTTP/1.1\r\nX-Request-Id: 3f2b8c1e-8a7d\r\n\r\n")
        #expect(kept.first?.lines == ["X-Request-Id: 3f2b8c1e-8a7d"])
        for hostile in [String(repeating: "x", count: 129), "<b>hi</b>", "a b"] {
            var framer = RequestFramer()
            var id: String?? = .none
            var lines: [Range<Int>] = []
            try framer.feed(ByteBuffer(string: "GET / HTTP/1.1\r\nX-Request-Id: \(hostile)\r\n\r\n")) { event in
                if case .head(let head) = event { id = head.requestID; lines = head.forwardedLines }
            }
            #expect(id == .some(nil), "\(hostile.prefix(20)) was kept")
            #expect(lines.isEmpty, "the refused id's line must not be forwarded")
        }
    }

    @Test func keepAliveFollowsTheVersionAndConnection() throws {
        let cases: [(String, Bool)] = [
            ("GET / HTTP/1.1\r\n\r\n", true),
            ("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", false),
            ("GET / HTTP/1.1\r\nConnection: Keep-Alive, CLOSE\r\n\r\n", false),
            ("GET / HTTP/1.0\r\n\r\n", false),
            ("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true),
        ]
        for (input, keepAlive) in cases {
            #expect(try frame(input).first?.keepAlive == keepAlive, "\(input.debugDescription)")
        }
    }
}
