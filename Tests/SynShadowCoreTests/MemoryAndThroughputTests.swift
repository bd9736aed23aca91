import SynShadowCore
import SynShadowTestbed
import Testing

/// The stated bounds: a million concurrent half-open flows in under 200
/// bytes each, and decode + model work without allocation per event.
@Suite(.serialized) struct MemoryAndThroughputTests {
    @Test func aMillionHalfOpenFlowsFitTheBound() throws {
        let flows = 1_000_000
        let model = ShadowModel(
            configuration: ModelConfiguration(tier: .tracepoint, maximumFlows: 1_100_000, hashSeed: 3))
        let start: UInt64 = 1_000 * Fixtures.second
        let residentBefore = MemoryFootprint.residentBytes()
        HalfOpenFlows.fill(model, count: flows, start: start)
        let footprint = model.memoryFootprint
        let residentAfter = MemoryFootprint.residentBytes()
        #expect(model.statistics.trackedFlows == flows)
        #expect(footprint.trackedFlows == flows)
        print("1M half-open flows: \(footprint)")
        print("bytes per half-open flow: \(footprint.bytesPerFlow) (estimate \(MemoryFootprint.estimatedBytesPerHalfOpenFlow))")
        if let before = residentBefore, let after = residentAfter {
            print("resident set grew by \(Double(after - before) / Double(flows)) bytes per flow")
        }
        #expect(footprint.bytesPerFlow <= 200)
        #expect(MemoryFootprint.flowRecordSize <= 96)
        #expect(model.takeFindings().isEmpty)
    }

    /// Clean connections only (the common case on a healthy server): no
    /// finding is built, so this measures the per-event cost alone.
    @Test func cleanTrafficThroughput() throws {
        var records: [UInt8] = []
        var time: UInt64 = 1_000 * Fixtures.second
        var identity: UInt64 = 0xFFFF_8881_0000_0000
        let listeners: [UInt64] = (0..<4).map { 0xFFFF_8880_0000_0000 + UInt64($0) * 0x1000 }
        for (index, listener) in listeners.enumerated() {
            records += EventCodec.encode(
                KernelEvent(
                    kind: .listenStart, hook: .sockOpsListen, timestamp: time,
                    flow: Fixtures.listenerKey(port: UInt16(8000 + index)), flags: .queuesValid, listener: listener,
                    queues: QueueFigures(acceptQueue: 0, acceptQueueLimit: 128, requestQueue: 0)))
        }
        let connections = 50_000
        for index in 0..<connections {
            let listenerIndex = index % listeners.count
            let flow = Fixtures.flow(
                client: "192.168.\(index / 250 % 250).\(index % 250 + 1)", clientPort: UInt16(1_024 + index % 60_000),
                port: UInt16(8000 + listenerIndex))
            let listener = listeners[listenerIndex]
            identity += 0x800
            func event(_ kind: EventKind, _ hook: Hook, _ accept: UInt32, _ request: UInt32, child: UInt64 = 0) -> KernelEvent {
                time += 200
                return KernelEvent(
                    kind: kind, hook: hook, timestamp: time, flow: flow, flags: [.queuesValid, .ownerKnown],
                    listener: listener, child: child,
                    queues: QueueFigures(acceptQueue: accept, acceptQueueLimit: 128, requestQueue: request))
            }
            for step in [
                event(.syn, .cgroupSkbIngress, 0, 0), event(.requestCreated, .sockOpsRwndInit, 0, 0),
                event(.requestQueued, .sockOpsTimeoutInit, 0, 0), event(.ack, .cgroupSkbIngress, 0, 1),
                event(.childCreated, .sockOpsPassiveEstablished, 1, 0, child: identity),
                event(.accept, .sysExitAccept, 0, 0, child: identity),
            ] {
                records += EventCodec.encode(step)
            }
        }
        let model = ShadowModel(configuration: ModelConfiguration(tier: .tracepoint))
        var decoded = 0
        let clock = ContinuousClock()
        let elapsed = try clock.measure {
            try records.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    model.process(try EventCodec.decode(UnsafeRawBufferPointer(rebasing: raw[offset...])))
                    decoded += 1
                    offset += EventCodec.recordSize
                }
            }
        }
        model.finish()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("clean traffic, decode + model: \(decoded) events in \(seconds) s = \(Int(Double(decoded) / seconds)) events/s")
        #expect(model.takeFindings().isEmpty)
    }

    /// A stream where every few events are a finding (drops, cookies, slow
    /// accepts): building findings dominates, by design only when found.
    @Test func findingHeavyThroughput() throws {
        var options = KernelSimulator.Options(tier: .tracepoint)
        options.listeners = 4
        options.connections = 400
        let simulator = KernelSimulator(seed: 5, options: options)
        let events = simulator.run()
        var records: [UInt8] = []
        for event in events { records += EventCodec.encode(event) }
        let repeats = 20
        let model = ShadowModel(configuration: simulator.modelConfiguration)
        let clock = ContinuousClock()
        var decoded = 0
        let elapsed = try clock.measure {
            try records.withUnsafeBytes { raw in
                for round in 0..<repeats {
                    var offset = 0
                    while offset < raw.count {
                        var event = try EventCodec.decode(UnsafeRawBufferPointer(rebasing: raw[offset...]))
                        // Each round replays the same traffic one hour later.
                        event.timestamp += UInt64(round) * 3_600 * Fixtures.second
                        model.process(event)
                        decoded += 1
                        offset += EventCodec.recordSize
                    }
                }
            }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("finding-heavy stream, decode + model: \(decoded) events in \(seconds) s = \(Int(Double(decoded) / seconds)) events/s")
        #expect(decoded == events.count * repeats)
    }
}
