import ArgumentParser
import Testing
import TestSupport
@testable import TrainyardCLI

struct CLITests {
    @Test func helpListsEverySubcommandWithAOneLinePurpose() async throws {
        let result = try await TrainyardProcess.run(["--help"])
        #expect(result.status == 0)
        for subcommand in Trainyard.configuration.subcommands {
            let name = subcommand.configuration.commandName!
            #expect(!subcommand.configuration.abstract.isEmpty, "\(name) has no purpose line")
            #expect(result.stdout.contains(name), "--help does not list \(name)")
        }
    }

    @Test func invalidFlagsAreRejectedWithAClearMessage() async throws {
        let badID = try await TrainyardProcess.run(["worker", "--id", "has space"])
        #expect(badID.status != 0)
        #expect(badID.stderr.contains("--id must be 1–255 printable ASCII characters without spaces"))
        let badInterval = try await TrainyardProcess.run(["coordinator", "--heartbeat-interval", "1ms"])
        #expect(badInterval.status != 0)
        #expect(badInterval.stderr.contains("--heartbeat-interval must be at least 10ms"))
    }

    @Test func statusOfAnAbsentCoordinatorTimesOutWithAnActionableMessage() async throws {
        let result = try await TrainyardProcess.run(["cluster", "status", "--coordinator", "tcp://127.0.0.1:56199",
                                                     "--timeout", "300ms"])
        #expect(result.status != 0)
        #expect(result.stderr.contains("no answer from the coordinator at tcp://127.0.0.1:56199"))
    }

    @Test func demoStartsWorkersShowsTheStatusAndStopsCleanly() async throws {
        let result = try await TrainyardProcess.run(["demo", "--bind", "tcp://127.0.0.1:56198", "--http-port", "56180", "--rows", "5000",
                                                     "--log-level", "warning"], timeout: .seconds(240))
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("trained gbdt (binary:logistic)"))
        #expect(result.stdout.contains("valid.auc"))
        #expect(result.stdout.contains("2 alive of 2 workers"))
        #expect(result.stdout.contains("the distributed model is identical to the local one"))
        // The lifecycle through pipelines: upload → gated run → promoted; new data runs it again while the replicas serve.
        #expect(result.stdout.contains("uploaded ") && result.stdout.contains("as dataset churn@1"))
        #expect(result.stdout.contains("run 1 promote: succeeded  version=1 alias=production"))
        #expect(result.stdout.contains("[200, version 1, request "))
        #expect(result.stdout.contains("as dataset churn@2") && result.stdout.contains("run 2 evaluate: "))
        #expect(result.stdout.contains("run 3 approve: waiting") && result.stdout.contains("run 3 promote: succeeded"))
        #expect(result.stdout.contains("\"Honestly the film was not boring at all, and never predictable.\" → positive"))
        #expect(result.stdout.contains("1000 requests in"))
        #expect(result.stdout.contains("1003 × 200 — one record per response"))
        #expect(result.stdout.contains("0 alive of 2 workers"))
        #expect(result.stdout.contains("demo finished: all services stopped cleanly"))
    }
}
