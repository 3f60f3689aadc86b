#include "CPNG.h"

#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/// Reads from a byte buffer; running off its end is a libpng error (a truncated file).
typedef struct {
    const uint8_t *data;
    size_t size;
    size_t offset;
    char *message;
    size_t message_size;
} sy_png_source;

static void sy_png_read(png_structp png, png_bytep out, size_t length) {
    sy_png_source *source = (sy_png_source *)png_get_io_ptr(png);
    if (length > source->size - source->offset) {
        png_error(png, "unexpected end of data (truncated PNG)");
    }
    memcpy(out, source->data + source->offset, length);
    source->offset += length;
}

static void sy_png_error(png_structp png, png_const_charp text) {
    sy_png_source *source = (sy_png_source *)png_get_error_ptr(png);
    if (source->message && source->message_size > 0) {
        snprintf(source->message, source->message_size, "%s", text);
    }
    png_longjmp(png, 1);
}

static void sy_png_warning(png_structp png, png_const_charp text) {
    (void)png;
    (void)text;
}

static int sy_png_open(sy_png_source *source, png_structp *png, png_infop *info) {
    if (source->size < 8 || png_sig_cmp(source->data, 0, 8) != 0) {
        if (source->message && source->message_size > 0) {
            snprintf(source->message, source->message_size, "missing PNG signature");
        }
        return SY_PNG_NOT_PNG;
    }
    *png = png_create_read_struct(PNG_LIBPNG_VER_STRING, source, sy_png_error, sy_png_warning);
    if (!*png) return SY_PNG_OUT_OF_MEMORY;
    *info = png_create_info_struct(*png);
    if (!*info) {
        png_destroy_read_struct(png, NULL, NULL);
        return SY_PNG_OUT_OF_MEMORY;
    }
    png_set_read_fn(*png, source, sy_png_read);
    // The caller's pixel cap is the real limit; libpng's own 1M x 1M default stays as a backstop.
    png_set_crc_action(*png, PNG_CRC_DEFAULT, PNG_CRC_DEFAULT);
    return SY_PNG_OK;
}

int sy_png_read_header(const uint8_t *data, size_t size, uint32_t *width, uint32_t *height,
                       char *message, size_t message_size) {
    sy_png_source source = {data, size, 0, message, message_size};
    png_structp png = NULL;
    png_infop info = NULL;
    int status = sy_png_open(&source, &png, &info);
    if (status != SY_PNG_OK) return status;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return SY_PNG_CORRUPT;
    }
    png_read_info(png, info);
    *width = png_get_image_width(png, info);
    *height = png_get_image_height(png, info);
    png_destroy_read_struct(&png, &info, NULL);
    return SY_PNG_OK;
}

int sy_png_decode_rgb(const uint8_t *data, size_t size, uint8_t *rgb, uint32_t width, uint32_t height,
                      char *message, size_t message_size) {
    sy_png_source source = {data, size, 0, message, message_size};
    png_structp png = NULL;
    png_infop info = NULL;
    int status = sy_png_open(&source, &png, &info);
    if (status != SY_PNG_OK) return status;
    // Row pointers live in the caller's buffer; nothing here needs freeing after a longjmp
    // except libpng's own structures.
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        return SY_PNG_CORRUPT;
    }
    png_read_info(png, info);
    if (png_get_image_width(png, info) != width || png_get_image_height(png, info) != height) {
        png_destroy_read_struct(&png, &info, NULL);
        snprintf(message, message_size, "header changed between reads");
        return SY_PNG_CORRUPT;
    }
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if (bit_depth == 16) png_set_strip_16(png);
    if (color_type & PNG_COLOR_MASK_ALPHA) png_set_strip_alpha(png);
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if ((color_type & PNG_COLOR_MASK_COLOR) == 0) {
        if (bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
        png_set_gray_to_rgb(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * 3) {
        png_destroy_read_struct(&png, &info, NULL);
        snprintf(message, message_size, "unexpected row layout after conversion");
        return SY_PNG_CORRUPT;
    }
    // png_read_image needs every row pointer at once (interlaced images are written in passes).
    png_bytep *rows = (png_bytep *)png_malloc(png, sizeof(png_bytep) * height);
    for (uint32_t y = 0; y < height; y++) rows[y] = rgb + (size_t)y * width * 3;
    if (setjmp(png_jmpbuf(png))) {
        png_free(png, rows);
        png_destroy_read_struct(&png, &info, NULL);
        return SY_PNG_CORRUPT;
    }
    png_read_image(png, rows);
    png_read_end(png, NULL);
    png_free(png, rows);
    png_destroy_read_struct(&png, &info, NULL);
    return SY_PNG_OK;
}

int sy_png_encode_rgb(const uint8_t *rgb, uint32_t width, uint32_t height, uint8_t **out, size_t *out_size) {
    png_image image;
    memset(&image, 0, sizeof image);
    image.version = PNG_IMAGE_VERSION;
    image.width = width;
    image.height = height;
    image.format = PNG_FORMAT_RGB;
    size_t size = 0;
    if (!png_image_write_to_memory(&image, NULL, &size, 0, rgb, 0, NULL)) return SY_PNG_CORRUPT;
    uint8_t *buffer = (uint8_t *)malloc(size);
    if (!buffer) return SY_PNG_OUT_OF_MEMORY;
    if (!png_image_write_to_memory(&image, buffer, &size, 0, rgb, 0, NULL)) {
        free(buffer);
        return SY_PNG_CORRUPT;
    }
    *out = buffer;
    *out_size = size;
    return SY_PNG_OK;
}
