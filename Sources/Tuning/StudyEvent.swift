/// What happened to a study, in the order it happened: the journal a coordinator keeps so that
/// ``Study/replay(_:)`` rebuilds the study — sampler, scheduler and trials — after a restart.
public enum StudyEvent: Sendable, Codable, Equatable {
    /// ``Study/startTrial()`` proposed trial `trial` with these parameters.
    case started(trial: Int, parameters: [String: ParameterValue])
    /// ``Study/report(trial:resource:loss:)`` was called.
    case reported(trial: Int, resource: Int, loss: Double)
    /// ``Study/finish(trial:value:failed:)`` was called.
    case finished(trial: Int, value: Double?, failed: Bool)
}
