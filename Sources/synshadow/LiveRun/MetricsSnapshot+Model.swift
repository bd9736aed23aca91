import SynShadowCore
import SynShadowMetrics

extension MetricsSnapshot {
    /// Copies the figures out of the model; on the tracing thread, between drains.
    init(_ model: ShadowModel, tier: Tier, kernelRelease: String) {
        self.init(
            tier: tier.name, kernelRelease: kernelRelease, statistics: model.statistics,
            listeners: model.listenerActivity())
    }
}
