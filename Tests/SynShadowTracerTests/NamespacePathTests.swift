#if canImport(Glibc)
import Glibc
#endif
import Foundation
import SynShadowTestbed
import SynShadowTracer
import Testing

/// The snapshot enters each namespace through a file naming it. Seen here:
/// `trace --comm nginx --netns /run/netns/X` named the namespace by the
/// counter reader's thread (/proc/self/task/TID/ns/net), a thread that
/// exits at once; entering through it failed, the namespace was never
/// walked, and the owner filters saw no listener: 0 of 69,000 connections
/// traced. A lasting name comes first, and every name is kept to try.
extension LiveKernelTests {
    @Suite struct NamespacePathTests {
        @Test func aNamedNamespaceIsListedByItsNameBeforeOurOwnThreads() throws {
            let name = "ss-paths-\(getpid())"
            try Self.ip(["netns", "add", name])
            defer { try? Self.ip(["netns", "del", name]) }
            let path = "/run/netns/\(name)"
            let inode = try #require(NetworkNamespace.inode(ofPath: path))
            let inside = DispatchSemaphore(value: 0)
            let leave = DispatchSemaphore(value: 0)
            let thread = Thread {
                _ = NetworkNamespace.inside(path) {
                    inside.signal()
                    leave.wait()
                }
            }
            thread.start()
            inside.wait()
            let entry = NetworkNamespace.allWithPaths().first { $0.inode == inode }
            leave.signal()
            let paths = try #require(entry?.paths, "namespace \(inode) not listed")
            #expect(paths.first == path, "\(paths)")
            #expect(paths.contains { $0.hasPrefix("/proc/self/task/") }, "\(paths)")
            #expect(NetworkNamespace.all().first { $0.inode == inode }?.path == path)
        }

        private static func ip(_ arguments: [String]) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/ip")
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            try #require(process.terminationStatus == 0, "ip \(arguments.joined(separator: " ")) failed")
        }
    }
}
