import SynShadowCore

/// Runs scenarios against the running kernel with one traced session per
/// tier, and returns the verdict rows.
public struct ValidationSuite {
    public var scenarios: [any Scenario]

    public init(scenarios: [any Scenario]) {
        self.scenarios = scenarios
    }

    /// The scenarios `synshadow validate` runs by default.
    public static func standard(connectionsPerFamily: Int = 1000) -> ValidationSuite {
        ValidationSuite(scenarios: [CleanHandshakes(connectionsPerFamily: connectionsPerFamily)])
    }

    /// Runs every scenario under `tier` (nil: the richest that loads).
    public func run(tier: Tier?, progress: (String) -> Void = { _ in }) throws -> [ScenarioOutcome] {
        let tracer = try LiveTracer(configuration: .init(tier: tier))
        defer { tracer.close() }
        progress(tracer.selection.summary)
        let context = ScenarioContext(tracer: tracer)
        _ = try tracer.start(into: CollectingConsumer())
        var outcomes: [ScenarioOutcome] = []
        for scenario in scenarios {
            progress("running \(scenario.name) (\(tracer.tier.name))")
            do {
                outcomes.append(try scenario.run(in: context))
            } catch {
                var failed = ScenarioOutcome(scenario: scenario.name, tier: tracer.tier)
                failed.failures.append("could not run: \(error)")
                outcomes.append(failed)
            }
        }
        return outcomes
    }
}
