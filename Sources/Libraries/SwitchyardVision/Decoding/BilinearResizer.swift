/// Bilinear resampling with OpenCV's `INTER_LINEAR` arithmetic for 8-bit images: half-pixel
/// centres, edge clamping, 11-bit fixed-point weights rounded with `cvRound`, and the SIMD
/// path's vertical rounding. The result matches `cv2.resize` to within one gray level (bit-exact
/// on the tested photographs except a few tail pixels OpenCV computes with its scalar path).
///
/// The horizontal pass runs once per needed source row and is cached, so a 1920x1080 → 640x360
/// resize touches each used source row once.
struct BilinearResizer {
    static let coefficientScale: Float = 2048  // INTER_RESIZE_COEF_SCALE

    let sourceWidth: Int
    let sourceHeight: Int
    let width: Int
    let height: Int
    /// Per destination column: byte offset of the left source pixel, and the right one (equal at edges).
    private var xLeft: [Int32]
    private var xRight: [Int32]
    private var alpha0: [Int32]
    private var alpha1: [Int32]
    /// Per destination row: the two source rows and their weights.
    private var yTop: [Int]
    private var yBottom: [Int]
    private var beta0: [Int32]
    private var beta1: [Int32]
    /// Every column takes its left pixel whole (weights 2048 and 0).
    private var rightWeightsAreZero: Bool

    init(sourceWidth: Int, sourceHeight: Int, width: Int, height: Int) {
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.width = width
        self.height = height
        let scaleX = 1.0 / (Double(width) / Double(sourceWidth))
        let scaleY = 1.0 / (Double(height) / Double(sourceHeight))
        xLeft = []
        xRight = []
        alpha0 = []
        alpha1 = []
        xLeft.reserveCapacity(width)
        for dx in 0..<width {
            var fx = Float((Double(dx) + 0.5) * scaleX - 0.5)
            var sx = Int(fx.rounded(.down))
            fx -= Float(sx)
            if sx < 0 {
                fx = 0
                sx = 0
            }
            if sx >= sourceWidth - 1 {
                fx = 0
                sx = sourceWidth - 1
            }
            let a0 = Int32(((1 - fx) * Self.coefficientScale).rounded(.toNearestOrEven))
            let a1 = Int32((fx * Self.coefficientScale).rounded(.toNearestOrEven))
            xLeft.append(Int32(sx * 3))
            xRight.append(Int32(min(sx + 1, sourceWidth - 1) * 3))
            alpha0.append(a0)
            alpha1.append(a1)
        }
        rightWeightsAreZero = alpha1.allSatisfy { $0 == 0 } && alpha0.allSatisfy { $0 == 2048 }
        yTop = []
        yBottom = []
        beta0 = []
        beta1 = []
        for dy in 0..<height {
            var fy = Float((Double(dy) + 0.5) * scaleY - 0.5)
            let sy = Int(fy.rounded(.down))
            fy -= Float(sy)
            yTop.append(min(max(sy, 0), sourceHeight - 1))
            yBottom.append(min(max(sy + 1, 0), sourceHeight - 1))
            beta0.append(Int32(((1 - fy) * Self.coefficientScale).rounded(.toNearestOrEven)))
            beta1.append(Int32((fy * Self.coefficientScale).rounded(.toNearestOrEven)))
        }
    }

    /// Resizes `source` (interleaved RGB rows of `sourceWidth * 3` bytes) and hands each finished
    /// destination row (`width * 3` bytes) to `emit` with its row index.
    func resize(_ source: UnsafeBufferPointer<UInt8>, emit: (Int, UnsafeBufferPointer<UInt8>) -> Void) {
        let base = source.baseAddress!
        let stride = sourceWidth * 3
        resize(rows: { base + $0 * stride }, emit: emit)
    }

    /// Resizes an image whose source rows come from `rows` (a pointer to row `r`'s
    /// `sourceWidth * 3` bytes, valid until the next call): an image read through an EXIF
    /// orientation without turning it first. Each source row is asked for at most once per use.
    func resize(rows: (Int) -> UnsafePointer<UInt8>, emit: (Int, UnsafeBufferPointer<UInt8>) -> Void) {
        let rowCount = width * 3
        var rowA = [Int32](repeating: 0, count: rowCount)
        var rowB = [Int32](repeating: 0, count: rowCount)
        var out = [UInt8](repeating: 0, count: rowCount)
        var rowAIndex = -1, rowBIndex = -1
        rowA.withUnsafeMutableBufferPointer { bufA in
            rowB.withUnsafeMutableBufferPointer { bufB in
                out.withUnsafeMutableBufferPointer { out in
                    var a = bufA, b = bufB
                    for dy in 0..<height {
                        let top = yTop[dy], bottom = yBottom[dy]
                        // Reuse horizontally resized rows from the previous destination row.
                        if rowAIndex != top {
                            if rowBIndex == top {
                                swap(&a, &b)
                                swap(&rowAIndex, &rowBIndex)
                            } else {
                                horizontal(rows(top), into: a)
                                rowAIndex = top
                            }
                        }
                        let b0 = beta0[dy], b1 = beta1[dy]
                        // A zero bottom weight (every row of an odd integer downscale, e.g. 1080 → 360)
                        // makes the bottom row irrelevant: skip its horizontal pass.
                        if b1 != 0 && rowBIndex != bottom {
                            horizontal(rows(bottom), into: b)
                            rowBIndex = bottom
                        }
                        // OpenCV's VResizeLinearVec_32s8u: (hi16((s0>>4)*b0) + hi16((s1>>4)*b1) + 2) >> 2, with
                        // wrapping operators (no overflow is possible; trapping ones block vectorisation).
                        let upper = a.baseAddress!, lower = b.baseAddress!, dst = out.baseAddress!
                        if b1 == 0 {
                            for i in 0..<rowCount {
                                let v = ((((upper[i] >> 4) &* b0) >> 16) &+ 2) >> 2
                                dst[i] = UInt8(truncatingIfNeeded: min(max(v, 0), 255))
                            }
                        } else {
                            for i in 0..<rowCount {
                                let v = ((((upper[i] >> 4) &* b0) >> 16) &+ (((lower[i] >> 4) &* b1) >> 16) &+ 2) >> 2
                                dst[i] = UInt8(truncatingIfNeeded: min(max(v, 0), 255))
                            }
                        }
                        emit(dy, UnsafeBufferPointer(out))
                    }
                }
            }
        }
    }

    private func horizontal(_ source: UnsafePointer<UInt8>, into dst: UnsafeMutableBufferPointer<Int32>) {
        if rightWeightsAreZero {
            // Odd integer downscales (1920 → 640) sample exact pixel centres: a strided copy.
            xLeft.withUnsafeBufferPointer { xl in
                for dx in 0..<width {
                    let l = Int(xl[dx]), o = dx * 3
                    dst[o] = Int32(source[l]) &<< 11
                    dst[o + 1] = Int32(source[l + 1]) &<< 11
                    dst[o + 2] = Int32(source[l + 2]) &<< 11
                }
            }
            return
        }
        xLeft.withUnsafeBufferPointer { xl in
            xRight.withUnsafeBufferPointer { xr in
                alpha0.withUnsafeBufferPointer { a0 in
                    alpha1.withUnsafeBufferPointer { a1 in
                        for dx in 0..<width {
                            let l = Int(xl[dx]), r = Int(xr[dx])
                            let w0 = a0[dx], w1 = a1[dx]
                            let o = dx * 3
                            dst[o] = Int32(source[l]) &* w0 &+ Int32(source[r]) &* w1
                            dst[o + 1] = Int32(source[l + 1]) &* w0 &+ Int32(source[r + 1]) &* w1
                            dst[o + 2] = Int32(source[l + 2]) &* w0 &+ Int32(source[r + 2]) &* w1
                        }
                    }
                }
            }
        }
    }
}
