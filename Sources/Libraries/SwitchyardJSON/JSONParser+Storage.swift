// MARK: - Scratch stacks

/// The stacks a parse collects children on, and a cache of recent short keys.
///
/// Children of open containers are pushed here, so each array or object costs one allocation of
/// its final size instead of a chain of doublings, and they are moved out, not copied (no
/// retain/release per element). A noncopyable struct of raw buffers: no copy-on-write checks and
/// no dynamic exclusivity checks on the hot path (a class's stored properties pay both), and
/// whatever a failed parse leaves behind is released in `deinit`.
struct ParseStorage: ~Copyable {
    private var values: UnsafeMutablePointer<JSON>
    private(set) var valueCount = 0
    private var valueCapacity = 64

    private(set) var keys: UnsafeMutablePointer<String>
    private var memberValues: UnsafeMutablePointer<JSON>
    private var keyTags: UnsafeMutablePointer<UInt64>
    private(set) var memberCount = 0
    private var memberCapacity = 64

    /// Short ASCII keys seen recently, direct-mapped by their bytes: records of one shape repeat
    /// their keys, and a hit skips building and checking a new string.
    private let cachedKeys: UnsafeMutablePointer<String>
    /// Per slot: length (-1 when empty) and the key's bytes as two zero-padded words.
    private let cachedShapes: UnsafeMutablePointer<(length: Int, w0: UInt64, w1: UInt64)>
    static let cacheSize = 64

    init() {
        values = .allocate(capacity: valueCapacity)
        keys = .allocate(capacity: memberCapacity)
        memberValues = .allocate(capacity: memberCapacity)
        keyTags = .allocate(capacity: memberCapacity)
        cachedKeys = .allocate(capacity: Self.cacheSize)
        cachedKeys.initialize(repeating: "", count: Self.cacheSize)
        cachedShapes = .allocate(capacity: Self.cacheSize)
        cachedShapes.initialize(repeating: (-1, 0, 0), count: Self.cacheSize)
    }

    deinit {
        values.deinitialize(count: valueCount)
        values.deallocate()
        keys.deinitialize(count: memberCount)
        keys.deallocate()
        memberValues.deinitialize(count: memberCount)
        memberValues.deallocate()
        keyTags.deallocate()
        cachedKeys.deinitialize(count: Self.cacheSize)
        cachedKeys.deallocate()
        cachedShapes.deallocate()
    }

    @inline(__always)
    mutating func pushValue(_ value: consuming JSON) {
        if valueCount == valueCapacity { growValues() }
        (values + valueCount).initialize(to: value)
        valueCount += 1
    }

    @inline(__always)
    mutating func pushMember(key: consuming String, tag: UInt64, value: consuming JSON) {
        if memberCount == memberCapacity { growMembers() }
        (keys + memberCount).initialize(to: key)
        (memberValues + memberCount).initialize(to: value)
        keyTags[memberCount] = tag
        memberCount += 1
    }

    @inline(__always) func key(at i: Int) -> String { keys[i] }
    @inline(__always) func keyTag(at i: Int) -> UInt64 { keyTags[i] }

    /// Moves the top `count` values into an array of exactly that size.
    mutating func popElements(_ count: Int) -> [JSON] {
        let base = valueCount - count
        valueCount = base
        var elements: [JSON] = []
        elements.reserveCapacity(count)
        for i in base..<(base + count) { elements.append((values + i).move()) }
        return elements
    }

    /// Moves the top `count` members into an array of exactly that size.
    mutating func popMembers(_ count: Int) -> [(key: String, value: JSON)] {
        let base = memberCount - count
        memberCount = base
        var members: [(key: String, value: JSON)] = []
        members.reserveCapacity(count)
        for i in base..<(base + count) { members.append((key: (keys + i).move(), value: (memberValues + i).move())) }
        return members
    }

    private mutating func growValues() {
        let bigger = UnsafeMutablePointer<JSON>.allocate(capacity: valueCapacity * 2)
        bigger.moveInitialize(from: values, count: valueCount)
        values.deallocate()
        values = bigger
        valueCapacity *= 2
    }

    private mutating func growMembers() {
        let capacity = memberCapacity * 2
        let newKeys = UnsafeMutablePointer<String>.allocate(capacity: capacity)
        newKeys.moveInitialize(from: keys, count: memberCount)
        keys.deallocate()
        keys = newKeys
        let newValues = UnsafeMutablePointer<JSON>.allocate(capacity: capacity)
        newValues.moveInitialize(from: memberValues, count: memberCount)
        memberValues.deallocate()
        memberValues = newValues
        let newTags = UnsafeMutablePointer<UInt64>.allocate(capacity: capacity)
        newTags.initialize(from: keyTags, count: memberCount)
        keyTags.deallocate()
        keyTags = newTags
        memberCapacity = capacity
    }

    /// The cached string for an ASCII key of `length` ≤ 16 bytes whose bytes are `w0`, `w1`
    /// (zero-padded), if it was seen recently.
    @inline(__always)
    func cachedKey(length: Int, _ w0: UInt64, _ w1: UInt64) -> String? {
        let slot = Self.slot(length, w0, w1)
        let shape = cachedShapes[slot]
        guard shape.length == length, shape.w0 == w0, shape.w1 == w1 else { return nil }
        return cachedKeys[slot]
    }

    @inline(__always)
    func cache(_ key: String, length: Int, _ w0: UInt64, _ w1: UInt64) {
        let slot = Self.slot(length, w0, w1)
        cachedKeys[slot] = key
        cachedShapes[slot] = (length, w0, w1)
    }

    @inline(__always)
    private static func slot(_ length: Int, _ w0: UInt64, _ w1: UInt64) -> Int {
        let mixed = (w0 &+ w1 &* 31 &+ UInt64(length)) &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: mixed >> 58)
    }
}

// MARK: - Key tags

/// A cheap stand-in for comparing keys in the duplicate scan of small objects. An ASCII key's tag
/// is its length (top byte) and its first seven bytes, so different tags mean different keys,
/// and equal tags of keys up to seven bytes mean equal keys. Anything else (non-ASCII keys, which
/// `String` compares by canonical equivalence, or equal tags of longer keys) is settled by
/// comparing the strings.
enum KeyTag {
    /// The tag of keys that must always be compared as strings.
    static let compareStrings: UInt64 = 0xFF << 56

    @inline(__always)
    static func ascii(length: Int, firstWord: UInt64) -> UInt64 {
        guard length < 0xFF else { return compareStrings }
        return UInt64(length) << 56 | (firstWord & 0x00FF_FFFF_FFFF_FFFF)
    }

    /// True when the keys tagged `a` and `b` may be equal and their strings must be compared.
    /// (`exact` is set when equal tags already prove equal keys.)
    @inline(__always)
    static func mayMatch(_ a: UInt64, _ b: UInt64, exact: inout Bool) -> Bool {
        if a == compareStrings || b == compareStrings {
            exact = false
            return true
        }
        guard a == b else { return false }
        exact = a >> 56 <= 7
        return true
    }
}

// MARK: - Keys of large objects

/// The keys of one object that outgrew the linear duplicate scan: an open-addressing table of
/// member indices with their hashes, so each key is hashed exactly once and growing the table
/// only moves integers (a `Set<String>` rehashes every key on each resize).
///
/// Hashes come from the standard `Hasher` (SipHash, seeded per process), so a client cannot
/// craft keys that collide; equal hashes are confirmed by comparing the keys themselves, with
/// `String` equality, the same equality lookups use.
struct KeyTable {
    /// Member index + 1 per slot; 0 marks an empty slot.
    private var slots: [Int32]
    private var hashes: [Int]
    private var count = 0

    init(minimumCapacity: Int) {
        var capacity = 16
        while capacity < minimumCapacity * 2 { capacity <<= 1 }
        slots = [Int32](repeating: 0, count: capacity)
        hashes = [Int](repeating: 0, count: capacity)
    }

    static func hash(_ key: String) -> Int {
        var hasher = Hasher()
        key.hash(into: &hasher)
        return hasher.finalize()
    }

    /// Adds member `index` with `key`; false when an equal key is already present.
    /// `keys` points at the object's first key (earlier members are compared through it).
    mutating func insert(_ key: String, index: Int, keys: UnsafePointer<String>) -> Bool {
        let hash = Self.hash(key)
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] != 0 {
            if hashes[slot] == hash, keys[Int(slots[slot]) - 1] == key { return false }
            slot = (slot + 1) & mask
        }
        slots[slot] = Int32(truncatingIfNeeded: index + 1)
        hashes[slot] = hash
        count += 1
        if count * 2 > slots.count { grow() }
        return true
    }

    /// Doubles the table, re-placing each entry by its stored hash.
    private mutating func grow() {
        let oldSlots = slots
        let oldHashes = hashes
        slots = [Int32](repeating: 0, count: oldSlots.count * 2)
        hashes = [Int](repeating: 0, count: oldSlots.count * 2)
        let mask = slots.count - 1
        for i in oldSlots.indices where oldSlots[i] != 0 {
            var slot = oldHashes[i] & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = oldSlots[i]
            hashes[slot] = oldHashes[i]
        }
    }
}
