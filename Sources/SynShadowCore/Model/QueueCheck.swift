/// A queue comparison that failed and waits for the race window to pass:
/// steps reported just after the probe read the figures may already be in
/// them, so each one widens the accepted range before the model decides.
struct QueueCheck {
    var isActive = false
    var openedAt: UInt64 = 0
    /// The event that opened it: only later events may widen the range.
    var openedSequence: UInt64 = 0
    var kernelRequests: Int64 = 0
    var kernelChildren: Int64 = 0
    var modelRequests: Int64 = 0
    var modelChildren: Int64 = 0
    var lowRequests: Int64 = 0
    var highRequests: Int64 = 0
    var lowChildren: Int64 = 0
    var highChildren: Int64 = 0
    var limit: UInt32 = 0
    var eventKind: UInt8 = 0
    var eventHook: UInt8 = 0

    var isSatisfied: Bool {
        kernelRequests >= lowRequests && kernelRequests <= highRequests && kernelChildren >= lowChildren
            && kernelChildren <= highChildren
    }
}
