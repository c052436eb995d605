import Testing
import TrainyardML

/// `--drop` leaves columns out of the model (kept as dropped, so prediction data need not carry them), and
/// `data profile` points at id-like columns, the usual reason to drop one.
struct DropColumnsTests {
    static let table: Table = {
        var csv = "customer_id,code,tenure,plan,churned\n"
        for row in 0..<400 {
            csv += "C\(100_000 + row * 7),\(5000 + row),\(row % 37),\(["basic", "plus", "pro"][row % 3]),\(row % 37 < 12 ? 1 : 0)\n"
        }
        return try! CSVReader.read(bytes: Array(csv.utf8), name: "customers.csv")
    }()

    @Test func droppedColumnsAreLeftOutAndNotNeededToPredict() throws {
        var request = TrainingRequest(label: "churned")
        request.gbdt.trees = 5
        request.preprocessing.drop = ["customer_id", "code"]
        let model = try TrainingPipeline.run(train: Self.table, request: request).model
        let dropped = model.preprocessor.inputs.filter { if case .dropped = $0.transform { true } else { false } }.map(\.name)
        #expect(Set(dropped) == ["customer_id", "code"])
        #expect(!model.preprocessor.featureNames.contains { $0.hasPrefix("customer_id") || $0 == "code" })
        let withoutThem = Table(names: ["tenure", "plan"], columns: [Self.table["tenure"]!, Self.table["plan"]!])
        let full = try Self.table.removing("churned").map(\.table)!
        #expect(try model.predict(withoutThem) == model.predict(full))
    }

    @Test func droppingTheLabelOrAnUnknownColumnIsRefused() {
        for (name, reason) in [("churned", "it is the label"), ("custmer_id", "no such column")] {
            var request = TrainingRequest(label: "churned")
            request.preprocessing.drop = [name]
            #expect {
                _ = try TrainingPipeline.run(train: Self.table, request: request)
            } throws: { error in
                "\(error)".contains("cannot drop '\(name)'") && "\(error)".contains(reason)
            }
        }
    }

    @Test func theProfileFlagsIdLikeColumns() {
        let profile = DataProfile.profile(Self.table, label: "churned")
        let idLike = Set(profile.columns.filter(\.idLike).map(\.name))
        #expect(idLike == ["customer_id", "code"])
    }
}
