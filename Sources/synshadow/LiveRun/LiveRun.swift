import ArgumentParser
import Foundation
import SynShadowCore
import SynShadowTracer
import SynShadowMetrics

/// What `trace` and `record` share: start a tracer, feed the model, print,
/// stop on a signal or a deadline, detach, summarise.
struct LiveRun {
    var tracing: TracingOptions
    var json: Bool
    var showEvents: Bool
    var showFindings: Bool
    var duration: Double?
    var ringMegabytes: UInt32
    var acceptThresholdMilliseconds: UInt64
    /// `record -o`: created before anything is attached; removed if the run fails to start.
    var recordFile: TraceOutputFile?
    /// A view that reads the model as the run goes (`top`); nil prints as usual.
    var observer: (any LiveRunObserver)? = nil
    /// `--metrics-listen` / `--otlp-endpoint`, for commands that offer them.
    var metrics: MetricsOptions? = nil
    /// `--counters`: seconds between cross-checks with the namespace's counters.
    var countersInterval: Double?
    var countersFault: CounterFault?
    /// `service`: findings go to the journal, one entry each with their
    /// fields (when its socket answers; printed otherwise).
    var findingsToJournal = false
    /// `service`: what SIGHUP does while tracing; nil: it stops the run.
    var onHangUp: ((LiveRunControls) -> HangUpAnswer)? = nil

    @discardableResult
    func run() throws -> LiveRunEnd {
        SignalTrap.install(reloadingOnHangUp: onHangUp != nil)
        // Before any BPF is loaded: a port in use fails fast.
        let exporters = ExporterSlot(try metrics?.makeExporter())
        var finalSnapshot: MetricsSnapshot?
        defer { exporters.current?.finish(final: finalSnapshot) }
        let tracer = try CommandFailure.reported(verbose: tracing.verbose) {
            var configuration = try tracing.tracerConfiguration()
            configuration.ringBytes = ringMegabytes << 20
            configuration.keepsRawRecords = recordFile != nil
            return try LiveTracer(configuration: configuration)
        }
        defer { tracer.close() }
        Terminal.note(tracer.selection.summary)

        let dropReasons = tracer.session.dropReasonTable()
        let counterSource = try countersInterval.map { _ in
            try CommandFailure.reported(verbose: tracing.verbose) {
                try NamespaceCounters(namespacePath: tracing.netnsPath)
            }
        }
        // Every namespace is judged by its own sysctls: the traced one (--netns)
        // by default, any other as soon as one of its events arrives.
        let namespaceSettings = NamespaceSettingsReader()
        let settings = counterSource?.settings
            ?? tracer.configuration.netns.flatMap { namespaceSettings.settings(netns: $0, ownerPid: 0) }
            ?? KernelSettingsReader.current()
        let recorder = try recordFile.map { file in
            try CommandFailure.reported(context: "cannot write \(file.path)") {
                try TraceFileWriter(
                file: file,
                header: TraceHeader(
                    kernelRelease: kernelRelease(), tier: tracer.tier, hostName: ProcessInfo.processInfo.hostName,
                    clockOrigin: ClockOrigin(
                        monotonicNanoseconds: tracer.origin,
                        wallClockNanoseconds: Int64(Date().timeIntervalSince1970 * 1e9)),
                    dropReasons: dropReasons, kernelSettings: settings, recorder: "synshadow"))
            }
        }
        let cgroups = CgroupNames()
        let events = EventFormatter(
            origin: tracer.origin, dropReasons: dropReasons, cgroupOfProcess: { cgroups.path(ofProcess: $0) })
        let findings = FindingFormatter(origin: tracer.origin)
        let journal = findingsToJournal ? JournalWriter(origin: tracer.origin) : nil
        if findingsToJournal && journal == nil {
            Terminal.note("journal: \(JournalWriter.socketPath) does not answer; findings are printed, one per line")
        }
        let (json, showEvents, showFindings, observer) = (self.json, self.showEvents, self.showFindings, self.observer)
        // Standard output never holds the drain back: a slow reader sheds lines, not kernel events.
        let output = OutputQueue()
        let losses = LossFormatter(origin: tracer.origin)
        let driver = ModelDriver(
            configuration: ModelConfiguration(
                tier: tracer.tier, acceptLatencyThreshold: acceptThresholdMilliseconds * 1_000_000,
                kernel: settings, dropReasonNames: dropReasons),
            recorder: recorder,
            onEvents: { batch in
                guard showEvents else { return }
                output.appendEvents(lines: batch.count) { buffer in
                    for event in batch {
                        if json { events.appendJSONLine(event, to: &buffer) } else { events.appendHumanLine(event, to: &buffer) }
                        buffer.append(0x0a)
                    }
                }
            },
            onFindings: { batch in
                let batch = cgroups.attribute(batch)
                observer?.noteFindings(batch)
                exporters.current?.log(batch)
                guard showFindings else { return }
                for finding in batch where journal?.write(finding) != true {
                    output.appendLine(json ? findings.jsonLine(finding) : findings.humanLine(finding))
                }
            },
            onLoss: { count, total, time in
                guard showFindings else { return }
                output.appendLine(json ? losses.jsonLine(count: count, total: total, at: time) : losses.humanLine(count: count, total: total, at: time))
            },
            namespaceSettings: { netns, pid in namespaceSettings.settings(netns: netns, ownerPid: pid) })
        let report = try CommandFailure.reported(verbose: tracing.verbose) { try tracer.start(into: driver) }
        Terminal.note("self-check: every hook of the \(tracer.tier.name) tier fired (\(report.milliseconds) ms)")
        for outcome in report.outcomes where outcome.note != nil {
            Terminal.note("  \(outcome.hook.name): \(outcome.note!)")
        }
        for trouble in tracer.session.snapshotTrouble { Terminal.note("snapshot: \(trouble)") }
        if let cgroup = tracer.configuration.ownerFilter.cgroup, cgroup.path != "/" {
            if let fallback = tracer.attachmentFallback {
                Terminal.note("cgroup: \(fallback); the hooks attach at the root, the kernel filters the rest out")
            } else {
                Terminal.note("cgroup: hooks attached at \(tracer.attachment.attachAt): sockets of other cgroups do not run them")
            }
        }
        if tracer.configuration.ownerFilter.isActive {
            let existing = tracer.existingListeners
            Terminal.note(
                "owner filter: \(existing.admitted) existing listener(s) admitted, \(existing.turnedAway) turned away"
                    + (existing.ownerUnknown > 0 ? ", \(existing.ownerUnknown) held by no process in /proc (not traced)" : "")
                    + "; listeners opened from now on are decided at listen()")
        }
        if let recordFile { Terminal.note("recording to \(recordFile.path)") }
        let watch = counterSource.map { source in
            CounterWatch(
                source: source, model: driver.model, scope: tracing.counterScope,
                interval: UInt64((countersInterval ?? CounterOptions.defaultInterval) * 1e9), fault: countersFault)
        }
        if let watch { announce(watch) }
        var watching = watch != nil
        let counterLines = CounterFormatter(origin: tracer.origin, netns: watch?.source.inode ?? 0)
        let deadline = duration.map { monotonicNanoseconds() + UInt64($0 * 1e9) }
        let release = kernelRelease()
        let snapshot = { MetricsSnapshot(driver.model, tier: tracer.tier, kernelRelease: release) }
        let controls = LiveRunControls(model: driver.model, exporters: exporters, snapshot: snapshot)
        var end = LiveRunEnd.stopped
        var cgroupWatch = tracer.configuration.ownerFilter.cgroup.flatMap { cgroup in
            cgroup.path == "/" || tracer.attachmentFallback != nil
                ? nil : CgroupGoneWatch(directory: tracer.attachment.attachAt, id: cgroup.id)
        }
        DrainPriority.raiseCurrentThread()
        try tracer.run(into: driver) {
            if cgroupWatch?.justWentAway() == true {
                Terminal.note(
                    "cgroup: \(tracer.attachment.attachAt) was removed or made anew (a restarted service?): "
                        + "its listeners are no longer traced; restart synshadow to follow the new one")
            }
            if let onHangUp, SignalTrap.takeHangUp(), onHangUp(controls) == .restart {
                end = .restartRequested
                return true
            }
            exporters.current?.offer(now: monotonicNanoseconds(), snapshot: snapshot)
            if watching, let watch {
                do {
                    if let reading = try watch.poll() {
                        output.appendLine(json ? counterLines.jsonLine(reading) : counterLines.humanLine(reading))
                        driver.publish(reading.disagreements.map { $0.finding(at: reading.time) })
                    }
                } catch {
                    Terminal.note("counters: \(error); the cross-check stops, tracing goes on")
                    watching = false
                }
            }
            if let observer, !observer.drained(tracer: tracer, driver: driver) { return true }
            // Nobody reads standard output any more (a closed pipe): stop as on a signal.
            if showEvents || showFindings, output.isBroken { return true }
            return SignalTrap.stopSignal != nil || deadline.map { monotonicNanoseconds() >= $0 } ?? false
        }
        observer?.stopped()
        let counters = tracer.session.counters()
        tracer.close()
        // The stream is over: every decision is taken, so the closing counters
        // reading compares totals with nothing left to excuse.
        func closingCounters() {
            guard watching, let watch, let reading = try? watch.finalReading() else { return }
            output.appendLine(json ? counterLines.jsonLine(reading) : counterLines.humanLine(reading))
            driver.publish(reading.disagreements.map { $0.finding(at: reading.time) })
        }
        try driver.finish(
            summary: TraceSummary(
                events: counters.events, lostEvents: counters.eventsLost, endMonotonicNanoseconds: monotonicNanoseconds(),
                counters: [
                    "filtered": counters.filtered, "correlation_misses": counters.correlationMisses,
                    "skipped_runs": counters.skippedRuns, "duplicated_events": counters.duplicatedEvents,
                ]))
        closingCounters()
        if exporters.current != nil { finalSnapshot = snapshot() }
        // The summary waits at most two seconds for a slow reader.
        let written = output.finish(within: 2)
        Terminal.note(
            "detached: \(counters.events) events, \(counters.lossDescription()), \(counters.filtered) filtered in the kernel, "
                + "\(driver.findingCount) findings"
                + (counters.coveredRuns > 0
                    ? " (the kernel skipped \(counters.coveredRuns) nested run(s) of a program; its cover took each event)" : ""))
        if counters.duplicatedEvents > 0 {
            Terminal.note(
                "defect: \(counters.duplicatedEvents) event(s) reached the model twice (a cover program took them beyond the"
                    + " runs the kernel skipped); findings of this run may be false: please report it")
        }
        if written.shed.total > 0 || written.unwrittenBytes > 0 {
            Terminal.note(
                "output: standard output was too slow: \(written.shed.eventLines) event lines and "
                    + "\(written.shed.otherLines) other lines shed, \(written.unwrittenBytes) bytes never written "
                    + "(the model saw every event: findings and counts are complete)")
        }
        if output.isBroken { Terminal.note("output: standard output was closed; tracing stopped") }
        return end
    }

    /// Says once what the cross-check compares and what it cannot assert.
    private func announce(_ watch: CounterWatch) {
        let names = watch.check.counters.map(\.rawValue).joined(separator: ", ")
        let seconds = countersInterval ?? CounterOptions.defaultInterval
        Terminal.note("counters: comparing \(names) of netns \(watch.source.inode) every \(seconds) s")
        switch watch.check.scope {
        case .namespace:
            Terminal.note("counters: every listener of the namespace is traced: the counts must be equal")
        case .filtered(let filters):
            Terminal.note(
                "counters: \(filters): the namespace's counters also count what the filter leaves out, so only"
                    + " \"the model claims no more than the kernel counted\" is checked")
        }
        for (counter, reason) in watch.check.oneSided.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            Terminal.note("counters: \(counter.rawValue): only model <= kernel is checked: \(reason)")
        }
        if !watch.check.counters.contains(.syncookiesFailed) {
            Terminal.note("counters: TcpExtSyncookiesFailed not compared: a failed cookie ACK reaches no probe of this tier")
        }
    }
}
