/// The RFC 1071 ones'-complement sum shared by the IPv4 header and the TCP
/// pseudo-header checksums: forged packets must carry it right or the kernel
/// drops them (TcpInCsumErrors), and parsing uses it to reject damage.
package struct InternetChecksum {
    private var sum: UInt32 = 0

    package init() {}

    /// Adds bytes as big-endian 16-bit words; an odd tail is padded with zero.
    /// Only the last chunk of a sum may have odd length.
    package mutating func add(_ bytes: some Collection<UInt8>) {
        var iterator = bytes.makeIterator()
        while let high = iterator.next() {
            let low = iterator.next() ?? 0
            sum &+= UInt32(high) << 8 | UInt32(low)
        }
    }

    package mutating func add(_ word: UInt16) {
        sum &+= UInt32(word)
    }

    package mutating func add(_ word: UInt32) {
        sum &+= word >> 16
        sum &+= word & 0xffff
    }

    /// The folded, complemented sum, ready to store in a header. Over data
    /// that already holds its checksum it is zero when the checksum is right.
    package var value: UInt16 {
        var folded = sum
        while folded > 0xffff { folded = (folded & 0xffff) + (folded >> 16) }
        return ~UInt16(folded)
    }
}
