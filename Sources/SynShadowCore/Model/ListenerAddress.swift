/// Where a listener is bound: the key that finds a listener for records that
/// do not name it (snapshot children, accept() of children queued before
/// tracing). A wildcard listener has address 0.
struct ListenerAddress: Hashable {
    var netns: UInt32
    var family: AddressFamily
    var address: IPAddress
    var port: UInt16
}
