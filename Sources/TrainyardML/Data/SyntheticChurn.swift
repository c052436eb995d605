import Foundation

/// A seeded, churn-style dataset: numeric, categorical and missing values, with a label
/// that depends non-linearly on them (plus noise), for demos and tests.
public enum SyntheticChurn {
    static let contracts = ["month-to-month", "one-year", "two-year"]
    static let payments = ["electronic-check", "mailed-check", "bank-transfer", "credit-card"]
    static let internet = ["fiber", "dsl", "none"]
    static let regions = ["north", "south", "east", "west", "central", "coast", "mountain", "islands"]

    /// CSV text with a header and `rows` customers; the label column is `churned` (`yes`/`no`).
    public static func csv(rows: Int, seed: UInt64) -> String {
        var random = SplitMix64(seed: seed)
        func uniform() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
        func pick<T>(_ values: [T], weights: [Double]) -> T {
            var u = uniform() * weights.reduce(0, +)
            for (value, weight) in zip(values, weights) {
                u -= weight
                if u <= 0 { return value }
            }
            return values[values.count - 1]
        }
        var lines = ["tenure_months,monthly_charges,total_charges,contract,payment_method,internet_service,support_calls,age,senior,region,churned"]
        lines.reserveCapacity(rows + 1)
        for _ in 0..<rows {
            let contract = pick(contracts, weights: [0.55, 0.25, 0.20])
            let tenure = Int(uniform() * (contract == "month-to-month" ? 36 : 72))
            let service = pick(internet, weights: [0.45, 0.35, 0.20])
            let monthly = (service == "fiber" ? 75 : service == "dsl" ? 50 : 22) + uniform() * 40
            let payment = pick(payments, weights: [0.35, 0.2, 0.22, 0.23])
            let calls = Int(-log(1 - uniform()) * (service == "fiber" ? 2.5 : 1.5))
            let age = 18 + Int(uniform() * 70)
            let senior = age >= 65 ? 1 : 0
            let region = pick(regions, weights: [3, 3, 2, 2, 2, 1, 1, 0.5])
            var score = -1.2
            score += contract == "month-to-month" ? 1.6 : contract == "one-year" ? 0 : -1.5
            score += -0.045 * Double(tenure) + (tenure < 6 ? 0.8 : 0)
            score += service == "fiber" ? 0.7 : 0
            score += payment == "electronic-check" ? 0.6 : 0
            score += 0.35 * Double(min(calls, 6)) * (contract == "month-to-month" ? 1.3 : 0.6)
            score += 0.012 * (monthly - 60)
            score += senior == 1 ? 0.4 : 0
            score += region == "islands" ? 0.5 : 0
            let churned = uniform() < 1 / (1 + exp(-score))
            // Missing values: some charges and ages unknown, totals missing for brand-new customers.
            let monthlyText = uniform() < 0.03 ? "" : String(format: "%.2f", monthly)
            let totalText = tenure == 0 || uniform() < 0.02 ? "NA" : String(format: "%.2f", monthly * Double(tenure) * (0.9 + 0.2 * uniform()))
            let ageText = uniform() < 0.05 ? "" : String(age)
            let paymentText = uniform() < 0.02 ? "" : payment
            lines.append("\(tenure),\(monthlyText),\(totalText),\(contract),\(paymentText),\(service),\(calls),\(ageText),\(senior),\(region),\(churned ? "yes" : "no")")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
