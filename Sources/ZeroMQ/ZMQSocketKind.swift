import CZMQ

/// The ZeroMQ socket patterns Trainyard uses.
public enum ZMQSocketKind: Sendable, CaseIterable {
    case router, dealer, publisher, subscriber, push, pull, pair, request, reply

    var rawValue: Int32 {
        switch self {
        case .router: ZMQ_ROUTER
        case .dealer: ZMQ_DEALER
        case .publisher: ZMQ_PUB
        case .subscriber: ZMQ_SUB
        case .push: ZMQ_PUSH
        case .pull: ZMQ_PULL
        case .pair: ZMQ_PAIR
        case .request: ZMQ_REQ
        case .reply: ZMQ_REP
        }
    }
}
