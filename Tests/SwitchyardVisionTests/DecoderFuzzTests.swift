import SwitchyardCore
import SwitchyardVision
import XCTest

/// Property test: mutated and random inputs either decode or throw a `VisionError`; the process
/// never crashes or hangs. (Out-of-bounds reads are looked for by coverage-guided fuzzing under
/// AddressSanitizer: `scripts/fuzz image`, run for 30 s in CI.)
final class DecoderFuzzTests: XCTestCase {

    func mutate(_ seed: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var bytes = seed
        for _ in 0..<Int.random(in: 1...8, using: &rng) {
            guard !bytes.isEmpty else { break }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: bytes[at] ^= UInt8(1 << Int.random(in: 0..<8, using: &rng))
            case 1: bytes[at] = UInt8.random(in: 0...255, using: &rng)
            case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...64, using: &rng)))
            case 3:
                bytes.insert(
                    contentsOf: (0..<Int.random(in: 1...16, using: &rng)).map { _ in
                        UInt8.random(in: 0...255, using: &rng)
                    }, at: at)
            default: bytes = Array(bytes.prefix(at))
            }
        }
        return bytes
    }

    func check(_ bytes: [UInt8]) {
        do {
            let decoded = try ImageDecoder.decode(bytes, limits: DecodeLimits(maxPixels: 4_000_000))
            XCTAssertEqual(decoded.image.pixels.count, decoded.image.width * decoded.image.height * 3)
        } catch {
            XCTAssertTrue(error.errorType.hasPrefix("Vision."), "\(error)")
        }
    }

    func testMutatedJPEGsNeverCrash() throws {
        let seeds = [
            try ImageEncoder.jpeg(TestImages.gradient(width: 48, height: 40), quality: 80),
            TestImages.withOrientation(try ImageEncoder.jpeg(TestImages.quadrants()), 6),
        ]
        var rng = SplitMix64(seed: 1)
        for i in 0..<1500 { check(mutate(seeds[i % seeds.count], &rng)) }
    }

    func testMutatedPNGsNeverCrash() throws {
        let seed = try ImageEncoder.png(TestImages.gradient(width: 40, height: 30))
        var rng = SplitMix64(seed: 2)
        for _ in 0..<1500 { check(mutate(seed, &rng)) }
    }

    func testRandomBytesBehindValidSignaturesNeverCrash() {
        var rng = SplitMix64(seed: 3)
        let signatures: [[UInt8]] = [[0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], []]
        for i in 0..<3000 {
            let tail = (0..<Int.random(in: 0..<300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            check(signatures[i % signatures.count] + tail)
        }
    }
}
