import Foundation

/// A private CA and a server certificate it signed for `localhost` and `127.0.0.1`, made with the `openssl` command
/// (installed by `make deps`) in a fresh directory: what a user does before `--tls-cert`, `--tls-key` and `--ca-file`.
/// Also a second, self-signed certificate that no client trusts.
struct TestCertificates {
    let directory: URL
    var caFile: String { path("ca.pem") }
    var certificateFile: String { path("server.pem") }
    var keyFile: String { path("server.key") }
    var strangerCertificateFile: String { path("stranger.pem") }
    var strangerKeyFile: String { path("stranger.key") }

    init(in directory: URL) throws {
        self.directory = directory.appendingPathComponent("tls")
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
        let curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
        try openssl(["req", "-x509"] + curve + ["-keyout", path("ca.key"), "-out", caFile, "-days", "2", "-subj", "/CN=Trainyard Test CA"])
        try openssl(["req"] + curve + ["-keyout", keyFile, "-out", path("server.csr"), "-subj", "/CN=localhost"])
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
            .write(toFile: path("server.ext"), atomically: true, encoding: .utf8)
        try openssl(["x509", "-req", "-in", path("server.csr"), "-CA", caFile, "-CAkey", path("ca.key"), "-CAcreateserial",
                     "-out", certificateFile, "-days", "2", "-extfile", path("server.ext")])
        try openssl(["req", "-x509"] + curve + ["-keyout", strangerKeyFile, "-out", strangerCertificateFile, "-days", "2",
                                                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
    }

    func path(_ name: String) -> String { directory.appendingPathComponent(name).path }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw StackError("openssl \(arguments.joined(separator: " ")) failed: \(String(decoding: message, as: UTF8.self))")
        }
    }
}
