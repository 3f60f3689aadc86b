#ifndef SWITCHYARD_CPNG_H
#define SWITCHYARD_CPNG_H
#include <stddef.h>
#include <stdint.h>

/// PNG decoding with OpenCV's IMREAD_COLOR semantics, in C because libpng reports errors
/// through longjmp, which Swift code must never be unwound by.

enum {
    SY_PNG_OK = 0,
    SY_PNG_NOT_PNG = 1,
    SY_PNG_CORRUPT = 2,
    SY_PNG_TOO_LARGE = 3,
    SY_PNG_OUT_OF_MEMORY = 4,
};

/// Reads only the IHDR chunk: width and height, before any pixel is decompressed.
int sy_png_read_header(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height,
                       char *message, size_t message_size);

/// Decodes to 8-bit interleaved RGB into `rgb` (width * height * 3 bytes, as read by the header).
/// 16-bit samples keep their high byte, palettes and gray expand to RGB, alpha is dropped
/// (not composited), as OpenCV's imdecode(IMREAD_COLOR) does.
int sy_png_decode_rgb(const uint8_t *data, size_t size, uint8_t *rgb, uint32_t width, uint32_t height,
                      char *message, size_t message_size);

/// Encodes interleaved 8-bit RGB as PNG into a malloc'ed buffer (free it with `free`); for tests
/// and for re-encoding. Returns 0 on success.
int sy_png_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, uint8_t **out, size_t *out_size);

#endif
