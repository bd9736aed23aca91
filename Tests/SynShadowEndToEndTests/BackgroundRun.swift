import Foundation

/// The synshadow binary running while a test drives traffic: started, waited
/// on until a line of its stderr appears, then stopped with a signal.
final class BackgroundRun {
    let process = Process()
    private let errors = Pipe()
    private(set) var stderr = ""

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: Run.binary)
        process.arguments = arguments
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
    }

    /// Reads stderr until `text` appears or the process ends; true if it appeared.
    func waitForStderr(containing text: String) -> Bool {
        while !stderr.contains(text) {
            let chunk = errors.fileHandleForReading.availableData
            if chunk.isEmpty { return false }
            stderr += String(decoding: chunk, as: UTF8.self)
        }
        return true
    }

    /// Signals, waits (killing it after `seconds`), and returns the exit status.
    func stop(signal: Int32 = SIGINT, seconds: Double = 30) -> Int32 {
        if process.isRunning { kill(process.processIdentifier, signal) }
        let child = process
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { if child.isRunning { child.terminate() } }
        stderr += String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
}
