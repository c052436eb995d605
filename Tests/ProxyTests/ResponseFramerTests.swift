import NIOCore
import NIOHTTP1
@testable import Proxy
import Testing

/// What the framer made of some bytes, in a comparable form.
struct Framed: Equatable {
    var status: Int?
    var lines: [String] = []
    var keepAlive: Bool?
    var framing: BodyFraming?
    var body = ""
    var ended = false
    var error: String?
}

/// Feeds `text` in pieces cut at `cuts`, as separate socket reads would deliver it.
func frame(_ text: String, cuts: [Int] = [], headRequest: Bool = false, closeAtEnd: Bool = false) -> Framed {
    var framer = ResponseFramer()
    framer.expectResponse(toHead: headRequest)
    var result = Framed()
    let bytes = Array(text.utf8)
    var start = 0
    do {
        for end in cuts.filter({ $0 > 0 && $0 < bytes.count }) + [bytes.count] where end >= start {
            try framer.feed(ByteBuffer(bytes: bytes[start..<end])) { event in
                switch event {
                case .head(let head):
                    result.status = head.status
                    result.lines = head.forwardedLines.map { String(buffer: head.bytes.getSlice(at: head.bytes.readerIndex + $0.lowerBound, length: $0.count)!) }
                    result.keepAlive = head.keepAlive
                    result.framing = head.framing
                case .body(let part): result.body += String(buffer: part)
                case .end: result.ended = true
                }
            }
            start = end
        }
        if closeAtEnd, framer.endOfInput() { result.ended = true }
    } catch {
        result.error = error.reason
    }
    return result
}

struct ResponseFramerTests {
    @Test func pipelinedResponsesFollowEachOtherAtAnyCut() throws {
        // Answers to GET, HEAD (a length but no body) and GET, in one stream; then a byte nobody asked for.
        let text = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab"
            + "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n"
            + "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        let bytes = Array(text.utf8)
        for cut in 0...bytes.count {
            var framer = ResponseFramer()
            for toHead in [false, true, false] { framer.expectResponse(toHead: toHead) }
            var seen: [String] = []
            for part in [bytes[..<cut], bytes[cut...]] where !part.isEmpty {
                try framer.feed(ByteBuffer(bytes: part)) { event in
                    switch event {
                    case .head(let head): seen.append("head \(head.status)")
                    case .body(let body):
                        if seen.last?.hasPrefix("body ") == true { seen[seen.count - 1] += String(buffer: body) }
                        else { seen.append("body " + String(buffer: body)) }
                    case .end: seen.append("end")
                    }
                }
            }
            #expect(seen == ["head 200", "body ab", "end", "head 200", "end", "head 201", "body hello", "end"], "cut at \(cut)")
            #expect(throws: ResponseFramer.Malformed.self) { try framer.feed(ByteBuffer(string: "H")) { _ in } }
        }
    }

    @Test func lengthDelimitedResponsesAreForwardedWithTheirHeaders() {
        let text = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nX-Model-Version: 3\r\n\r\n{\"a\": true}"
        let whole = frame(text)
        #expect(whole == Framed(status: 200, lines: ["Content-Type: application/json", "Content-Length: 11", "X-Model-Version: 3"],
                                keepAlive: true, framing: .length(11), body: "{\"a\": true}", ended: true))
        // Every way of cutting it in two or three reads gives the same result.
        for cut in 0..<text.utf8.count {
            #expect(frame(text, cuts: [cut]) == whole, "cut at \(cut)")
            #expect(frame(text, cuts: [cut, cut + 7]) == whole, "cuts at \(cut), \(cut + 7)")
        }
    }

    @Test func chunkedBodiesAreDechunkedAtAnyCut() {
        let text = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nTrailer-Field: x\r\n\r\n"
        let whole = frame(text)
        #expect(whole == Framed(status: 200, lines: ["X-A: 1"], keepAlive: true, framing: .chunked,
                                body: "helloabcdefghijklmnopqrstuvwxyz", ended: true))
        for cut in 0..<text.utf8.count {
            #expect(frame(text, cuts: [cut, cut + 3]) == whole, "cuts at \(cut), \(cut + 3)")
        }
    }

    @Test func interimResponsesAreSkippedAndBodilessStatusesEndAtTheHead() {
        let interim = frame("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nX-B: 2\r\n\r\n")
        #expect(interim == Framed(status: 204, lines: ["X-B: 2"], keepAlive: true, framing: BodyFraming.none, ended: true))
        let head = frame("HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n", headRequest: true)
        #expect(head.framing == BodyFraming.none && head.ended && head.lines == ["Content-Length: 500"])
        #expect(frame("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n").ended)
    }

    @Test func aBodyWithoutLengthEndsWithTheConnection() {
        let text = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it"
        let open = frame(text)
        #expect(open.framing == .untilClose && open.keepAlive == false && open.body == "all of it" && !open.ended)
        #expect(frame(text, closeAtEnd: true).ended)
        // A length-delimited body cut short by the close does not end.
        #expect(!frame("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", closeAtEnd: true).ended)
    }

    @Test func connectionHeadersDecideKeepAliveAndNameMoreHopByHopHeaders() {
        let close = frame("HTTP/1.1 200 OK\r\nConnection: close, X-Secret\r\nX-Secret: 1\r\nKeep-Alive: timeout=5\r\nX-Request-Id: backend\r\nContent-Length: 0\r\n\r\n")
        #expect(close.keepAlive == false && close.lines == ["Content-Length: 0"] && close.ended)
        let http10 = frame("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        #expect(http10.keepAlive == false)
        let http10KeepAlive = frame("HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n")
        #expect(http10KeepAlive.keepAlive == true)
        let chunkedWithLength = frame("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
        #expect(chunkedWithLength.framing == .chunked && chunkedWithLength.lines.isEmpty)
    }

    @Test func malformedResponsesAreRefused() {
        let cases: [(String, String)] = [
            ("HTTP/2 200 OK\r\n\r\n", "bad status line"),
            ("HTTP/1.1 2x0 OK\r\n\r\n", "bad status code"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n", "bad Content-Length"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", "conflicting Content-Length"),
            ("HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n", "obsolete line folding"),
            ("HTTP/1.1 200 OK\r\nBad Name: 1\r\n\r\n", "whitespace in a header name"),
            ("HTTP/1.1 200 OK\r\nno colon\r\n\r\n", "without a name"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
            ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n", "chunk data longer than its size"),
            ("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab", "bytes after the end of the response"),
        ]
        for (text, reason) in cases {
            #expect(frame(text).error?.contains(reason) == true, "\(text): \(String(describing: frame(text).error))")
        }
        #expect(frame("HTTP/1.1 200 OK\r\nX: " + String(repeating: "a", count: 70_000)).error?.contains("head longer") == true)
    }

    @Test func theClientHeadCopiesLinesAndSetsFramingAndTheRequestID() {
        var framer = ResponseFramer()
        framer.expectResponse(toHead: false)
        var head: BackendResponseHead?
        try? framer.feed(ByteBuffer(string: "HTTP/1.1 201 Created\r\nX-A: 1\r\nTransfer-Encoding: chunked\r\n\r\n")) { event in
            if case .head(let parsed) = event { head = parsed }
        }
        guard let head else { Issue.record("no head"); return }
        var keepAlive = true
        var chunked = false
        var http11 = ByteBuffer()
        ClientResponseHead.write(from: head, requestID: "r1", version: .http1_1, keepAlive: &keepAlive, chunked: &chunked,
                                 into: &http11)
        #expect(String(buffer: http11) == "HTTP/1.1 201 Created\r\nX-A: 1\r\nx-request-id: r1\r\ntransfer-encoding: chunked\r\n\r\n")
        #expect(keepAlive && chunked)
        var http10 = ByteBuffer(string: "kept ")  // written behind what the buffer holds
        ClientResponseHead.write(from: head, requestID: "r2", version: .http1_0, keepAlive: &keepAlive, chunked: &chunked,
                                 into: &http10)
        #expect(String(buffer: http10) == "kept HTTP/1.0 201 Created\r\nX-A: 1\r\nx-request-id: r2\r\nconnection: close\r\n\r\n")
        #expect(!keepAlive && !chunked)
    }

    /// Found by the response-framer fuzzer: each line ending in a bare LF grows by a byte when written with CRLF, and
    /// a few hundred of them overran the space reserved for the client's head (a trap, the proxy down).
    @Test func aHeadOfBareLFLinesFitsTheSpaceReservedForTheClientHead() {
        var framer = ResponseFramer()
        framer.expectResponse(toHead: false)
        var head: BackendResponseHead?
        let lines = String(repeating: "X-A: 1\n", count: 500)
        try? framer.feed(ByteBuffer(string: "HTTP/1.1 200 OK\n" + lines + "Content-Length: 0\n\n")) { event in
            if case .head(let parsed) = event { head = parsed }
        }
        guard let head else { Issue.record("no head"); return }
        var keepAlive = true
        var chunked = false
        var out = ByteBuffer()
        ClientResponseHead.write(from: head, requestID: "r1", version: .http1_1, keepAlive: &keepAlive, chunked: &chunked, into: &out)
        #expect(String(buffer: out) == "HTTP/1.1 200 OK\r\n" + String(repeating: "X-A: 1\r\n", count: 500)
            + "Content-Length: 0\r\nx-request-id: r1\r\n\r\n")
    }
}

struct ForwardedRequestTests {
    func head(_ text: String) throws -> ClientRequestHead {
        try RequestFramer.parseHead(ByteBuffer(string: text))
    }

    @Test func theBackendRequestDropsHopByHopHeadersAndAddsTheProxysOwn() throws {
        var ids = RequestIDGenerator()
        let post = try head("POST /predict?x=1 HTTP/1.1\r\nHost: api.example\r\nConnection: keep-alive, X-Secret\r\nX-Secret: 1\r\n"
            + "Keep-Alive: timeout=5\r\nX-Forwarded-For: 10.0.0.1\r\nContent-Length: 2\r\nAccept: application/json\r\n"
            + "Expect: 100-continue\r\nTE: trailers\r\nProxy-Authorization: x\r\n\r\n")
        var request = ForwardedRequest(client: post, clientAddress: "127.0.0.9", ids: &ids, buffer: ByteBuffer())
        #expect(request.declaredLength == 2 && request.expectsContinue && request.requestID.count == 16 && !request.isHead)
        let message = request.message(body: ByteBuffer(string: "{}"))  // a small body travels in the head's buffer
        #expect(String(buffer: message.head) == "POST /predict?x=1 HTTP/1.1\r\nHost: api.example\r\nAccept: application/json\r\n"
            + "x-request-id: \(request.requestID)\r\nx-forwarded-for: 10.0.0.1, 127.0.0.9\r\ncontent-length: 2\r\n\r\n{}")
        #expect(message.body == nil)

        var get = ForwardedRequest(client: try head("GET /v2/health/ready HTTP/1.1\r\nX-Request-Id: given\r\nx-request-id: second\r\n\r\n"),
                                   clientAddress: nil, ids: &ids, buffer: ByteBuffer())
        #expect(get.requestID == "given")
        #expect(String(buffer: get.message(body: nil).head) == "GET /v2/health/ready HTTP/1.1\r\nX-Request-Id: given\r\nhost: localhost\r\n\r\n")
        var large = ForwardedRequest(client: try head("PUT /x HTTP/1.1\r\nHost: h\r\nX-Request-Id: r\r\n\r\n"),
                                     clientAddress: nil, ids: &ids, buffer: ByteBuffer())
        let body = ByteBuffer(repeating: UInt8(ascii: "a"), count: ForwardedRequest.inlineBodyBytes + 1)
        let parts = large.message(body: body)  // a large one is written apart, not copied
        #expect(String(buffer: parts.head) == "PUT /x HTTP/1.1\r\nHost: h\r\nX-Request-Id: r\r\ncontent-length: \(body.readableBytes)\r\n\r\n")
        #expect(parts.body == body)
        let head = try head("HEAD / HTTP/1.0\r\n\r\n")
        #expect(ForwardedRequest(client: head, clientAddress: nil, ids: &ids, buffer: ByteBuffer()).isHead)
    }
}
