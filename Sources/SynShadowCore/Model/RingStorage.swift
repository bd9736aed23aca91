/// A growable FIFO of plain values in one manual allocation: appends and
/// removals never allocate once it has grown to the working size, and it
/// costs exactly its capacity in bytes. Its owner frees it (`release()`),
/// which is why it is internal and only held by ~Copyable types.
struct RingStorage<Element: BitwiseCopyable> {
    private var storage: UnsafeMutablePointer<Element>
    private(set) var capacity: Int
    private var head = 0
    private(set) var count = 0

    init(minimumCapacity: Int = 16) {
        var capacity = 16
        while capacity < minimumCapacity { capacity <<= 1 }
        storage = .allocate(capacity: capacity)
        self.capacity = capacity
    }

    func release() { storage.deallocate() }

    var isEmpty: Bool { count == 0 }
    var allocatedBytes: Int { capacity * MemoryLayout<Element>.stride }

    @inline(__always)
    var first: Element? { count == 0 ? nil : storage[head] }

    /// The i-th element from the front.
    func element(at index: Int) -> Element { storage[(head + index) & (capacity - 1)] }

    @inline(__always)
    mutating func append(_ element: Element) {
        if count == capacity { grow() }
        storage[(head + count) & (capacity - 1)] = element
        count += 1
    }

    @discardableResult @inline(__always)
    mutating func removeFirst() -> Element {
        let element = storage[head]
        head = (head + 1) & (capacity - 1)
        count -= 1
        return element
    }

    /// Keeps only the elements that pass, in order (compaction of stale entries).
    mutating func retain(where keep: (Element) -> Bool) {
        var kept = 0
        for index in 0..<count {
            let element = self.element(at: index)
            if keep(element) {
                storage[(head + kept) & (capacity - 1)] = element
                kept += 1
            }
        }
        count = kept
    }

    private mutating func grow() {
        let bigger = UnsafeMutablePointer<Element>.allocate(capacity: capacity * 2)
        for index in 0..<count { bigger[index] = element(at: index) }
        storage.deallocate()
        storage = bigger
        head = 0
        capacity *= 2
    }
}
