extension Duration {
    /// The duration in fractional seconds, for logs, status rows and JSON.
    public var seconds: Double {
        let (whole, attoseconds) = components
        return Double(whole) + Double(attoseconds) / 1e18
    }
}
