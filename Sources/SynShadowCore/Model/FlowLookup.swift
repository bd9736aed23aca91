/// A flow key looked up in the flow table: its hash (kept so that a flow
/// created for an unknown key is not hashed twice) and its slot, nil when the
/// model does not follow that flow.
struct FlowLookup {
    let key: FlowKey
    let hash: UInt64
    let slot: UInt32?
}
