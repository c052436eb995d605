import Foundation
import Testing
import TestSupport

/// Every ```sh block of README.md runs, in order, as a new user would paste it: one shell per block, all in one fresh
/// directory, against real processes on loopback. A README edit that breaks a command fails here.
///
/// How the blocks are run:
/// * `trainyard` is the debug build. Long-running commands (`coordinator`, `worker`, `registry`, `serve`, `proxy`) start
///   in the background, as in their own terminal, and the block goes on once they are ready (listening, registered,
///   healthy); they run until the last block is done.
/// * The README's ports move to 57500–57539 (`5555` → 57500, `8080` → 57501, …, see `ports`), written or defaulted:
///   a command that leaves out `--registry`, `--coordinator`, `--listen`, … is given the moved default.
/// * A block right after the line `<!-- readme-test: skip REASON -->` is not run; REASON must be one of `skipReasons`
///   (it needs docker, or it is the build or `make` itself).
@Suite(.serialized)
struct ReadmeTests {
    /// README port → test port.
    static let ports = [5555: 57500, 8080: 57501, 9000: 57502, 8000: 57503, 5556: 57504, 8443: 57505, 9001: 57506]
    static let skipReasons: Set<String> = ["docker", "make", "build"]

    struct Block {
        var line: Int
        var text: String
        var skip: String?
    }

    static func blocks() throws -> [Block] {
        let readme = try String(contentsOf: TrainyardProcess.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let lines = readme.components(separatedBy: "\n")
        var blocks: [Block] = []
        var index = 0
        while index < lines.count {
            let fence = lines[index].trimmingCharacters(in: .whitespaces)
            guard fence.hasPrefix("```") else { index += 1; continue }
            let indent = lines[index].prefix { $0 == " " }.count
            let start = index
            index += 1
            var body: [String] = []
            while index < lines.count, !lines[index].trimmingCharacters(in: .whitespaces).hasPrefix("```") {
                body.append(String(lines[index].dropFirst(min(indent, lines[index].prefix { $0 == " " }.count))))
                index += 1
            }
            index += 1
            guard fence == "```sh" else { continue }
            let previous = lines[..<start].last { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? ""
            let marker = previous.trimmingCharacters(in: .whitespaces)
            var skip: String?
            if marker.hasPrefix("<!-- readme-test: skip"), marker.hasSuffix("-->") {
                skip = String(marker.dropFirst("<!-- readme-test: skip".count).dropLast(3)).trimmingCharacters(in: .whitespaces)
            }
            blocks.append(Block(line: start + 1, text: body.joined(separator: "\n"), skip: skip))
        }
        return blocks
    }

    /// `text` with the README's ports moved to the test's.
    static func remapped(_ text: String) -> String {
        var result = text
        for (from, to) in ports {
            result = result.replacingOccurrences(of: #"(?<![0-9])\#(from)(?![0-9])"#, with: String(to), options: .regularExpression)
        }
        return result
    }

    /// Bash run before every block: the `trainyard` function that starts servers in the background and fills in
    /// moved default addresses.
    static func prelude(binary: String, directory: String) -> String {
        """
        set -eo pipefail
        cd '\(directory)'
        TRAINYARD_BIN='\(binary)'
        [ -x '\(TrainyardProcess.packageRoot.path)/.venv/bin/python3' ] && export PATH='\(TrainyardProcess.packageRoot.path)/.venv/bin':"$PATH"
        has() { local flag=$1; shift; for a in "$@"; do [[ $a == "$flag" || $a == "$flag="* ]] && return 0; done; return 1; }
        wait_for() {  # LOG PID TEXT [URL]: until LOG has TEXT (and URL answers 2xx), or the process exits
          for _ in $(seq 600); do
            if ! kill -0 "$2" 2>/dev/null; then echo "server exited:"; cat "$1"; return 1; fi
            if grep -q "$3" "$1" && { [ -z "$4" ] || curl -sf -o /dev/null "$4"; }; then return 0; fi
            sleep 0.1
          done
          echo "server not ready after 60 s:"; cat "$1"; return 1
        }
        trainyard() {
          local args=("$@")
          case "$1" in
            models) has --registry "$@" || args+=(--registry http://127.0.0.1:\(ports[8080]!)) ;;
            serve) has --registry "$@" || has --model-file "$@" || args+=(--registry http://127.0.0.1:\(ports[8080]!))
                   has --listen "$@" || args+=(--listen 127.0.0.1:\(ports[9000]!)) ;;
            registry) has --listen "$@" || args+=(--listen 127.0.0.1:\(ports[8080]!)) ;;
            proxy) has --listen "$@" || args+=(--listen 127.0.0.1:\(ports[8000]!)) ;;
            coordinator) has --bind "$@" || args+=(--bind tcp://127.0.0.1:\(ports[5555]!)) ;;
            worker) has --connect "$@" || args+=(--connect tcp://127.0.0.1:\(ports[5555]!)) ;;
            cluster|jobs|submit) has --coordinator "$@" || args+=(--coordinator tcp://127.0.0.1:\(ports[5555]!)) ;;
          esac
          case "$1" in
            coordinator|worker|registry|serve|proxy)
              local log="server-$RANDOM.log"
              "$TRAINYARD_BIN" "${args[@]}" </dev/null >/dev/null 2>"$log" &
              local pid=$!
              echo "$pid" >> servers.pids
              local address
              address=$(printf '%s\\n' "${args[@]}" | grep -A1 -x -e --listen | tail -n1 || true)
              [[ $address == :* ]] && address="127.0.0.1$address"
              case "$1" in
                coordinator) wait_for "$log" "$pid" "coordinator listening" ;;
                worker) wait_for "$log" "$pid" "registered with" ;;
                registry) wait_for "$log" "$pid" "registry listening" ;;
                serve|proxy)
                  local scheme=http; has --tls-cert "$@" && scheme=https
                  wait_for "$log" "$pid" "listening" "$scheme://$address/v2/health/ready" ;;
              esac ;;
            *) "$TRAINYARD_BIN" "${args[@]}" ;;
          esac
        }

        """
    }

    @Test func everyShellBlockInTheREADMERuns() async throws {
        let blocks = try Self.blocks()
        #expect(blocks.count >= 5)
        for block in blocks {
            if let reason = block.skip {
                #expect(Self.skipReasons.contains(reason), "README.md:\(block.line): skip reason '\(reason)' is not one of \(Self.skipReasons)")
            }
            #expect(!block.text.contains("…"), "README.md:\(block.line): a runnable block must not elide arguments with …")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trainyard-readme-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer {
            let pids = (try? String(contentsOf: directory.appendingPathComponent("servers.pids"), encoding: .utf8)) ?? ""
            for pid in pids.split(separator: "\n").compactMap({ Int32($0) }) { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(at: directory)
        }
        let prelude = Self.prelude(binary: TrainyardProcess.executable.path, directory: directory.path)
        for block in blocks where block.skip == nil {
            let script = prelude + Self.remapped(block.text)
            try script.write(to: directory.appendingPathComponent("readme-line-\(block.line).sh"), atomically: true, encoding: .utf8)
            let (status, output) = try await Self.bash(script, timeout: .seconds(300))
            #expect(status == 0, "README.md:\(block.line) failed (\(status)):\n\(block.text)\n--- output\n\(output)")
            if status != 0 { break }
        }
    }

    /// The harness itself: a failing command fails its block; a moved port is moved; a skip marker is read.
    @Test func theHarnessFailsABrokenCommandAndMovesPorts() async throws {
        let directory = FileManager.default.temporaryDirectory.path
        let prelude = Self.prelude(binary: TrainyardProcess.executable.path, directory: directory)
        let (bad, output) = try await Self.bash(prelude + "trainyard train --data no-such-file.csv --label y --out x.tym\necho after",
                                                timeout: .seconds(30))
        #expect(bad != 0 && !output.contains("after"), "\(output)")
        #expect(Self.remapped("tcp://0.0.0.0:5555 127.0.0.1:8080/x 18080 :9000") == "tcp://0.0.0.0:57500 127.0.0.1:57501/x 18080 :57502")
        #expect(try Self.blocks().contains { $0.skip == "docker" })
    }

    /// Runs `script` with bash; returns its status and its output (standard output and error).
    ///
    /// The script reports its own exit status in a file: the servers it leaves running in the background inherit
    /// descriptors that keep `Process` from noticing that bash has exited.
    static func bash(_ script: String, timeout: Duration) async throws -> (Int32, String) {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("readme-\(UUID().uuidString.prefix(8))")
        let outputURL = base.appendingPathExtension("out")
        let statusURL = base.appendingPathExtension("status")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputURL)
            try? FileManager.default.removeItem(at: statusURL)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "trap 'echo $? > \(statusURL.path).tmp && mv \(statusURL.path).tmp \(statusURL.path)' EXIT\n" + script]
        let handle = try FileHandle(forWritingTo: outputURL)
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = ContinuousClock.now + timeout
        func status() -> Int32? {
            (try? String(contentsOf: statusURL, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        while status() == nil && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
        let output = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        guard let exit = status() else {
            kill(process.processIdentifier, SIGKILL)
            return (-1, "timed out\n" + output)
        }
        return (exit, output)
    }
}
