import HTTPSupport
import NIOCore
import Testing

/// The connection clock with a hand-moved time: which deadline runs in each phase, and what expiry does.
struct ConnectionClockTests {
    let timeouts = ConnectionTimeouts(header: .seconds(10), body: .seconds(30), idle: .seconds(60))
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    func at(_ seconds: Int64) -> NIODeadline { start + .seconds(seconds) }

    @Test func anIdleConnectionClosesAfterTheIdleTimeoutWithoutAResponse() {
        let clock = ConnectionClock(timeouts: timeouts, now: start)
        #expect(clock.deadline == at(60))
        #expect(clock.expiry(at: at(59)) == nil)
        #expect(clock.expiry(at: at(60)) == .close)
    }

    @Test func aTrickledHeadGets408AfterTheHeaderTimeoutFromItsFirstByte() {
        var clock = ConnectionClock(timeouts: timeouts, now: start)
        clock.bytesArrived(at: at(5))
        #expect(clock.deadline == at(15))
        clock.bytesArrived(at: at(14))  // more bytes do not extend it
        #expect(clock.deadline == at(15))
        #expect(clock.expiry(at: at(15)) == .requestTimeout("the request head did not arrive within 10.0 seconds (header timeout)"))
    }

    @Test func aTrickledBodyGets408AfterTheBodyTimeoutFromItsHead() {
        var clock = ConnectionClock(timeouts: timeouts, now: start)
        clock.bytesArrived(at: at(1))
        clock.headReceived(at: at(2))
        clock.bytesArrived(at: at(20))
        #expect(clock.deadline == at(32))
        #expect(clock.expiry(at: at(32)) == .requestTimeout("the request body did not arrive within 30.0 seconds (body timeout)"))
    }

    @Test func noDeadlineRunsWhileTheServerAnswersThenIdleTimeStarts() {
        var clock = ConnectionClock(timeouts: timeouts, now: start)
        clock.bytesArrived(at: at(1))
        clock.headReceived(at: at(1))
        clock.requestEnded()
        #expect(clock.deadline == nil)
        #expect(clock.expiry(at: at(10_000)) == nil)
        clock.responseStarted(closing: false)
        #expect(clock.responseEnded(at: at(100)) == false)
        #expect(clock.deadline == at(160))
    }

    @Test func aResponseThatSaysCloseClosesAndAnEarlyAnswerKeepsTheBodyDeadline() {
        var clock = ConnectionClock(timeouts: timeouts, now: start)
        clock.bytesArrived(at: at(0))
        clock.headReceived(at: at(0))
        // A 413 answered while the body is still arriving.
        clock.responseStarted(closing: true)
        #expect(clock.expiry(at: at(30)) == .close, "a response is being written: no 408 on top of it")
        #expect(clock.responseEnded(at: at(1)) == true)
        #expect(clock.deadline == at(30))
    }

    @Test func pipelinedRequestsKeepTheConnectionBusyUntilTheLastIsAnswered() {
        var clock = ConnectionClock(timeouts: timeouts, now: start)
        clock.bytesArrived(at: at(0))
        clock.headReceived(at: at(0))
        clock.requestEnded()
        clock.headReceived(at: at(0))
        clock.requestEnded()
        #expect(clock.openRequests == 2)
        clock.responseStarted(closing: false)
        _ = clock.responseEnded(at: at(5))
        #expect(clock.deadline == nil, "the second request is still being answered")
        clock.responseStarted(closing: false)
        _ = clock.responseEnded(at: at(6))
        #expect(clock.deadline == at(66))
        // The next request's first byte starts the header clock.
        clock.bytesArrived(at: at(7))
        #expect(clock.deadline == at(17))
    }
}
