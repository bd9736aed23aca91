/// The TCP options a scripted peer offers or the kernel answered with. Forged
/// SYNs carry only an MSS by default, so each extra feature a scenario
/// exercises (SACK, timestamps, window scaling, syncookie encoding) is explicit.
public struct TCPOptions: Hashable, Sendable {
    public var maximumSegmentSize: UInt16?
    public var windowScale: UInt8?
    public var sackPermitted: Bool
    public var timestamp: Timestamp?
    /// RFC 7413 Fast Open: the cookie (empty: a request for one, or data
    /// sent where the server needs none).
    public var fastOpenCookie: [UInt8]?

    /// RFC 7323 timestamps: our clock value and the last one we saw from them.
    public struct Timestamp: Hashable, Sendable {
        public var value: UInt32
        public var echoReply: UInt32

        public init(value: UInt32, echoReply: UInt32) {
            self.value = value
            self.echoReply = echoReply
        }
    }

    public init(
        maximumSegmentSize: UInt16? = nil, windowScale: UInt8? = nil,
        sackPermitted: Bool = false, timestamp: Timestamp? = nil, fastOpenCookie: [UInt8]? = nil
    ) {
        self.maximumSegmentSize = maximumSegmentSize
        self.windowScale = windowScale
        self.sackPermitted = sackPermitted
        self.timestamp = timestamp
        self.fastOpenCookie = fastOpenCookie
    }

    /// What a forged SYN offers unless a scenario asks for more.
    public static let synDefault = TCPOptions(maximumSegmentSize: 1400)

    /// Encodes the options, padded with end-of-list to a multiple of four bytes.
    var encoded: [UInt8] {
        var bytes: [UInt8] = []
        if let maximumSegmentSize {
            bytes += [2, 4, UInt8(maximumSegmentSize >> 8), UInt8(maximumSegmentSize & 0xff)]
        }
        if let windowScale { bytes += [1, 3, 3, windowScale] }
        if sackPermitted { bytes += [4, 2] }
        if let timestamp {
            bytes += [8, 10] + timestamp.value.bigEndianBytes + timestamp.echoReply.bigEndianBytes
        }
        if let fastOpenCookie { bytes += [34, UInt8(2 + fastOpenCookie.count)] + fastOpenCookie }
        while bytes.count % 4 != 0 { bytes.append(0) }
        return bytes
    }

    /// Decodes an options area; unknown kinds are skipped, a malformed one ends parsing.
    init(decoding bytes: ArraySlice<UInt8>) {
        self.init()
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let kind = bytes[index]
            if kind == 0 { break }
            if kind == 1 {
                index += 1
                continue
            }
            guard index + 1 < bytes.endIndex else { break }
            let length = Int(bytes[index + 1])
            guard length >= 2, index + length <= bytes.endIndex else { break }
            let body = bytes[(index + 2)..<(index + length)]
            switch (kind, length) {
            case (2, 4): maximumSegmentSize = UInt16(bigEndianBytes: body)
            case (3, 3): windowScale = body.first
            case (4, 2): sackPermitted = true
            case (8, 10):
                timestamp = Timestamp(
                    value: UInt32(bigEndianBytes: body.prefix(4)),
                    echoReply: UInt32(bigEndianBytes: body.suffix(4)))
            default: break
            }
            index += length
        }
    }
}
