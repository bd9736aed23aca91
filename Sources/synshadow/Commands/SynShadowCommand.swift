import ArgumentParser
import SynShadowTracer

@main
struct SynShadowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synshadow",
        abstract: "Watch the kernel accept TCP connections, and check it against a model of the passive open.",
        discussion: """
            SynShadow attaches eBPF programs to the kernel's passive-open path (SYN, request sock, \
            handshake ACK, child, accept), streams every step to user space through a ring buffer, \
            and mirrors each listener in a shadow model of its request queue and accept queue.

            Needs root, a kernel with BTF (/sys/kernel/btf/vmlinux), tracefs and cgroup v2.

            EXAMPLES:
              synshadow                      # the live demo (same as `synshadow demo`)
              synshadow trace --port 8080    # every handshake to port 8080, live
              synshadow trace --json         # one JSON object per line, for jq and log shippers
              synshadow top                  # a live per-listener view: queues, rates, drops, latency
              synshadow trace --tier kprobe  # force an attach tier (default: the richest that loads)
            """,
        version: SynShadowVersion.current,
        subcommands: [
            DemoCommand.self, TraceCommand.self, TopCommand.self, RecordCommand.self, ReplayCommand.self,
            ReportCommand.self, ValidateCommand.self, BenchCommand.self, ServiceCommand.self,
        ],
        defaultSubcommand: DemoCommand.self
    )

    static func main() {
        SignalTrap.endOnQuitAndHangUp()
        main(nil)
    }
}
