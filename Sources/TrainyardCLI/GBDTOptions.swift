import ArgumentParser
import TrainyardML

/// Gradient-boosted tree parameters, with XGBoost's names.
struct GBDTOptions: ParsableArguments {
    @Option(name: [.customLong("n-trees"), .customLong("num-round"), .customLong("n-estimators")],
            help: "Boosting rounds (XGBoost's num_round, scikit-learn's n_estimators).") var trees = 100
    @Option(help: "Depth of each tree (1–16).") var maxDepth = 6
    @Option(help: "Learning rate in (0, 1].") var eta = 0.3
    @Option(help: "L2 regularisation (also the linear models' λ).") var lambda = 1.0
    @Option(help: "L1 regularisation on leaf weights.") var alpha = 0.0
    @Option(help: "Minimum loss reduction to keep a split (min_split_loss).") var gamma = 0.0
    @Option(help: "Minimum hessian sum in a child.") var minChildWeight = 1.0
    @Option(help: "Row fraction sampled per tree.") var subsample = 1.0
    @Option(help: "Feature fraction sampled per tree.") var colsampleBytree = 1.0
    @Option(help: "Histogram bins per feature (2–256).") var maxBin = 256
    @Option(help: "Initial prediction in prediction space (default: estimated from the labels).") var baseScore: Double?
    @Option(help: "Seed for row/column sampling and the validation split.") var seed: UInt64 = 0
    @Option(help: "Threads (0 = all cores).") var threads = 0
    @Option(help: "Stop when the validation metric has not improved for this many rounds.") var earlyStoppingRounds: Int?
    @Option(help: "Validation metric reported each round and watched by early stopping (auc, logloss, accuracy, rmse, mae, mlogloss; default: the objective's loss).")
    var evalMetric: String?

    var parameters: GBDTParameters {
        var p = GBDTParameters()
        p.trees = trees
        p.maxDepth = maxDepth
        p.eta = eta
        p.lambda = lambda
        p.alpha = alpha
        p.gamma = gamma
        p.minChildWeight = minChildWeight
        p.subsample = subsample
        p.colsampleByTree = colsampleBytree
        p.maxBin = maxBin
        p.baseScore = baseScore
        p.seed = seed
        p.threads = threads
        p.earlyStoppingRounds = earlyStoppingRounds
        p.evalMetric = evalMetric
        return p
    }
}
