/// The EXIF orientation of a JPEG (tag 0x0112 in IFD0 of the APP1 "Exif" segment) and how to
/// apply it, so boxes come back in the coordinates a person sees. OpenCV's imdecode applies it
/// too, which keeps the tensor equal to the reference.
public enum EXIFOrientation {
    /// The orientation value 1...8, or 1 when the file has none or it is malformed. Never reads
    /// past the buffer and stops at the first scan (pixel data), so cost is independent of size.
    public static func read(jpeg bytes: UnsafeRawBufferPointer) -> Int {
        let n = bytes.count
        guard n >= 4, bytes[0] == 0xFF, bytes[1] == 0xD8 else { return 1 }
        var i = 2
        while i + 4 <= n {
            guard bytes[i] == 0xFF else { return 1 }
            let marker = bytes[i + 1]
            if marker == 0xFF {
                i += 1
                continue
            }  // fill byte
            if marker == 0xD8 || marker == 0x01 || (0xD0...0xD7).contains(marker) {
                i += 2
                continue
            }
            if marker == 0xDA || marker == 0xD9 { return 1 }  // start of scan / end of image
            let length = Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            guard length >= 2, i + 2 + length <= n else { return 1 }
            if marker == 0xE1, length >= 8 {
                let start = i + 4
                if bytes[start] == 0x45, bytes[start + 1] == 0x78, bytes[start + 2] == 0x69, bytes[start + 3] == 0x66,
                    bytes[start + 4] == 0, bytes[start + 5] == 0
                {
                    let tiff = UnsafeRawBufferPointer(rebasing: bytes[(start + 6)..<(i + 2 + length)])
                    if let value = orientation(tiff: tiff) { return value }
                }
            }
            i += 2 + length
        }
        return 1
    }

    /// Reads tag 0x0112 from a TIFF structure (the EXIF payload).
    static func orientation(tiff: UnsafeRawBufferPointer) -> Int? {
        guard tiff.count >= 8 else { return nil }
        let little: Bool
        switch (tiff[0], tiff[1]) {
        case (0x49, 0x49): little = true
        case (0x4D, 0x4D): little = false
        default: return nil
        }
        func u16(_ at: Int) -> Int? {
            guard at >= 0, at + 2 <= tiff.count else { return nil }
            return little ? Int(tiff[at]) | Int(tiff[at + 1]) << 8 : Int(tiff[at]) << 8 | Int(tiff[at + 1])
        }
        func u32(_ at: Int) -> Int? {
            guard let a = u16(at), let b = u16(at + 2) else { return nil }
            return little ? a | b << 16 : a << 16 | b
        }
        guard u16(2) == 42, let ifd = u32(4), let count = u16(ifd) else { return nil }
        for entry in 0..<min(count, 512) {
            let at = ifd + 2 + entry * 12
            guard let tag = u16(at) else { return nil }
            if tag == 0x0112 {
                guard u16(at + 2) == 3, let value = u16(at + 8), (1...8).contains(value) else { return nil }
                return value
            }
        }
        return nil
    }

    /// Width and height of the upright image: sides swap for orientations 5...8.
    public static func uprightSize(_ orientation: Int, width: Int, height: Int) -> (width: Int, height: Int) {
        orientation >= 5 && orientation <= 8 ? (height, width) : (width, height)
    }

    /// The stored pixel (row, column) shown at upright (`r`, `c`), for an image stored `w` x `h`
    /// (EXIF 2.3, tag 0x0112; the mapping of OpenCV's ApplyExifOrientation).
    @inline(__always)
    static func sourcePixel(_ orientation: Int, r: Int, c: Int, w: Int, h: Int) -> (row: Int, column: Int) {
        switch orientation {
        case 2: (r, w - 1 - c)
        case 3: (h - 1 - r, w - 1 - c)
        case 4: (h - 1 - r, c)
        case 5: (c, r)
        case 6: (h - 1 - c, r)
        case 7: (h - 1 - c, w - 1 - r)
        case 8: (c, w - 1 - r)
        default: (r, c)
        }
    }

    /// Copies upright row `row` of `image` (stored with `orientation`) into `out`
    /// (`uprightWidth * 3` bytes): one row at a time, so an image is never turned as a whole.
    /// Along an upright row the stored pixel moves by a fixed step (±1 pixel or ±1 stored row).
    public static func gatherRow(
        _ orientation: Int, of image: UnsafeBufferPointer<UInt8>, width w: Int, height h: Int, row: Int,
        into out: UnsafeMutablePointer<UInt8>
    ) {
        let outWidth = uprightSize(orientation, width: w, height: h).width
        let first = sourcePixel(orientation, r: row, c: 0, w: w, h: h)
        let start = first.row * w + first.column
        var step = 1
        if outWidth > 1 {
            let second = sourcePixel(orientation, r: row, c: 1, w: w, h: h)
            step = (second.row * w + second.column) - start
        }
        let source = image.baseAddress!
        var index = start
        for c in 0..<outWidth {
            let s = index * 3
            out[3 * c] = source[s]
            out[3 * c + 1] = source[s + 1]
            out[3 * c + 2] = source[s + 2]
            index += step
        }
    }

    /// `image` turned upright for `orientation` (1...8), with OpenCV's ApplyExifOrientation mapping.
    /// Allocates a second full image; the tensor path reads through the orientation instead
    /// (`YOLOPreprocessor`), and only backends that send an encoded upright image need this.
    public static func apply(_ orientation: Int, to image: RGBImage) -> RGBImage {
        guard (2...8).contains(orientation) else { return image }
        let (outW, outH) = uprightSize(orientation, width: image.width, height: image.height)
        var out = [UInt8](repeating: 0, count: outW * outH * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<outH {
                    gatherRow(
                        orientation, of: src, width: image.width, height: image.height, row: r,
                        into: dst.baseAddress! + r * outW * 3)
                }
            }
        }
        return RGBImage(width: outW, height: outH, pixels: out)
    }
}
