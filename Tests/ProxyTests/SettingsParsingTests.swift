import HTTPSupport
import Proxy
import Testing

/// Parsing of `--backend`, `--discover` and `--listen` values and settings validation, with no network.
struct SettingsParsingTests {
    @Test func backendURLsParse() throws {
        #expect(try BackendAddress(url: "http://10.0.0.5:9000") == BackendAddress(host: "10.0.0.5", port: 9000))
        #expect(try BackendAddress(url: "http://replica-1:9000/") == BackendAddress(host: "replica-1", port: 9000))
        #expect(try BackendAddress(url: "http://[::1]:9000").hostHeader == "[::1]:9000")
        #expect(try BackendAddress(url: "http://replica").port == 80)
        #expect(try BackendAddress(url: "127.0.0.1:9000").description == "http://127.0.0.1:9000")
    }

    @Test func badBackendURLsAreRefusedWithTheReason() {
        #expect(throws: ProxyError.invalidBackendURL("https://a:1", reason: "only http:// is supported")) {
            try BackendAddress(url: "https://a:1")
        }
        #expect(throws: ProxyError.invalidBackendURL("http://a:1/v2", reason: "a path prefix is not supported")) {
            try BackendAddress(url: "http://a:1/v2")
        }
        #expect(throws: ProxyError.self) { try BackendAddress(url: "http://a:99999") }
        #expect(throws: ProxyError.self) { try BackendAddress(url: "http://:80") }
    }

    /// One `--listen` syntax for every server (the proxy's and the others' were two types with two syntaxes).
    @Test func listenAddressNeedsAPort() throws {
        #expect(ListenAddress(parsing: "0.0.0.0:8000") == ListenAddress(host: "0.0.0.0", port: 8000))
        #expect(ListenAddress(parsing: "127.0.0.1:0") == ListenAddress(host: "127.0.0.1", port: 0))
        #expect(ListenAddress(parsing: "[::]:8000")?.description == "[::]:8000")
        #expect(ListenAddress(parsing: ":9000") == ListenAddress(host: "0.0.0.0", port: 9000))
        #expect(ListenAddress(parsing: "9000") == ListenAddress(host: "0.0.0.0", port: 9000))
        for bad in ["localhost", "a:b", "a:70000", "[::]", "[::]8000", "::1:80", "[]:80", ""] {
            #expect(ListenAddress(parsing: bad) == nil, "\(bad)")
        }
    }

    @Test func discoveryTargetsNeedAHostAndAPort() throws {
        #expect(try DiscoveryTarget(parsing: "replica:9000") == DiscoveryTarget(host: "replica", port: 9000))
        #expect(try DiscoveryTarget(parsing: "[::1]:9000").description == "[::1]:9000")
        for bad in ["replica", "replica:0", "replica:x", "http://replica:9000", ":9000"] {
            #expect(throws: ProxyError.invalidDiscoveryTarget(bad)) { try DiscoveryTarget(parsing: bad) }
        }
    }

    @Test func aDiscoveredBackendIsReachedAtItsAddressAndNamedByTheName() {
        let backend = BackendAddress(host: "172.18.0.5", port: 9000, hostHeader: "replica:9000")
        #expect(backend.description == "http://172.18.0.5:9000")
        #expect(backend.hostHeader == "replica:9000")
    }

    @Test func aProxyNeedsABackendOrADiscoveryTarget() throws {
        #expect(throws: ProxyError.noBackends) { try ProxySettings(backends: []).validate() }
        #expect(ProxyError.noBackends.description.contains("--discover HOST:PORT"))
        var settings = ProxySettings(backends: [], discover: [DiscoveryTarget(host: "replica", port: 9000)])
        try settings.validate()
        settings.discoverInterval = .zero
        #expect(throws: ProxyError.self) { try settings.validate() }
    }

    @Test func settingsAreValidated() {
        #expect(throws: ProxyError.noBackends) { try ProxySettings(backends: []).validate() }
        var settings = ProxySettings(backends: [BackendAddress(host: "a", port: 1)])
        settings.ejectAfter = 0
        #expect(throws: ProxyError.self) { try settings.validate() }
        settings.ejectAfter = 1
        settings.healthPath = "health"
        #expect(throws: ProxyError.self) { try settings.validate() }
    }
}
