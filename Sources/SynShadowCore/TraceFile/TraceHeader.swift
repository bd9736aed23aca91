/// What a trace says about where and how it was recorded: enough for a
/// replay to configure the same model (tier, sysctls, drop-reason names) and
/// for a person to place the events in wall-clock time.
public struct TraceHeader: Sendable, Equatable {
    /// The trace format this build writes (and the newest it reads):
    /// 3 stores events in compact frames, 2 added namespace settings.
    public static let currentFormatVersion = 3

    public var formatVersion: Int
    /// `SYNSHADOW_ABI_VERSION` of the records.
    public var abiVersion: Int
    /// `uname -r` of the traced kernel.
    public var kernelRelease: String
    public var tier: Tier
    public var hostName: String
    public var clockOrigin: ClockOrigin
    /// skb_drop_reason names of the traced kernel.
    public var dropReasons: [UInt32: String]
    /// The traced kernel's relevant sysctls, when read.
    public var kernelSettings: KernelSettings?
    /// The recording tool and version.
    public var recorder: String?

    public init(
        kernelRelease: String, tier: Tier, hostName: String, clockOrigin: ClockOrigin,
        dropReasons: [UInt32: String] = [:], kernelSettings: KernelSettings? = nil, recorder: String? = nil,
        abiVersion: Int = Int(EventCodec.abiVersion), formatVersion: Int = TraceHeader.currentFormatVersion
    ) {
        self.formatVersion = formatVersion
        self.abiVersion = abiVersion
        self.kernelRelease = kernelRelease
        self.tier = tier
        self.hostName = hostName
        self.clockOrigin = clockOrigin
        self.dropReasons = dropReasons
        self.kernelSettings = kernelSettings
        self.recorder = recorder
    }
}

/// One instant read on both clocks at the start of recording: event
/// timestamps (CLOCK_MONOTONIC) map to wall-clock time through it.
public struct ClockOrigin: Sendable, Equatable, Codable {
    public var monotonicNanoseconds: UInt64
    /// Nanoseconds since the Unix epoch (CLOCK_REALTIME).
    public var wallClockNanoseconds: Int64

    public init(monotonicNanoseconds: UInt64, wallClockNanoseconds: Int64) {
        self.monotonicNanoseconds = monotonicNanoseconds
        self.wallClockNanoseconds = wallClockNanoseconds
    }

    /// Wall-clock nanoseconds since the epoch of an event timestamp.
    public func wallClock(ofMonotonic timestamp: UInt64) -> Int64 {
        wallClockNanoseconds &+ Int64(bitPattern: timestamp &- monotonicNanoseconds)
    }
}

extension TraceHeader: Codable {
    private enum CodingKeys: String, CodingKey {
        case formatVersion, abiVersion, kernelRelease, tier, hostName, clockOrigin, dropReasons, kernelSettings,
            recorder
    }

    private struct DropReason: Codable {
        var code: UInt32
        var name: String
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        formatVersion = try container.decode(Int.self, forKey: .formatVersion)
        abiVersion = try container.decode(Int.self, forKey: .abiVersion)
        kernelRelease = try container.decode(String.self, forKey: .kernelRelease)
        let tierName = try container.decode(String.self, forKey: .tier)
        guard let tier = Tier(name: tierName) else {
            throw DecodingError.dataCorruptedError(forKey: .tier, in: container, debugDescription: "unknown tier \(tierName)")
        }
        self.tier = tier
        hostName = try container.decode(String.self, forKey: .hostName)
        clockOrigin = try container.decode(ClockOrigin.self, forKey: .clockOrigin)
        let reasons = try container.decodeIfPresent([DropReason].self, forKey: .dropReasons) ?? []
        dropReasons = Dictionary(reasons.map { ($0.code, $0.name) }, uniquingKeysWith: { first, _ in first })
        kernelSettings = try container.decodeIfPresent(KernelSettings.self, forKey: .kernelSettings)
        recorder = try container.decodeIfPresent(String.self, forKey: .recorder)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(formatVersion, forKey: .formatVersion)
        try container.encode(abiVersion, forKey: .abiVersion)
        try container.encode(kernelRelease, forKey: .kernelRelease)
        try container.encode(tier.name, forKey: .tier)
        try container.encode(hostName, forKey: .hostName)
        try container.encode(clockOrigin, forKey: .clockOrigin)
        let reasons = dropReasons.sorted { $0.key < $1.key }.map { DropReason(code: $0.key, name: $0.value) }
        try container.encode(reasons, forKey: .dropReasons)
        try container.encodeIfPresent(kernelSettings, forKey: .kernelSettings)
        try container.encodeIfPresent(recorder, forKey: .recorder)
    }
}
