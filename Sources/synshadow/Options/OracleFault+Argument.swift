import ArgumentParser
import SynShadowTestbed

/// `validate --oracle-fault`: parsed from its raw value, choices listed in the usage error.
extension OracleFault: ExpressibleByArgument {}
