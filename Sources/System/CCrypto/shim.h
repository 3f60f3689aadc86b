#ifndef SWITCHYARD_CCRYPTO_SHIM_H
#define SWITCHYARD_CCRYPTO_SHIM_H
#include <stddef.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

// One-shot SHA-256 and HMAC-SHA-256 with plain C signatures, so Swift needs no OpenSSL types.
static inline void switchyard_sha256(const void *data, size_t count, unsigned char out[32]) {
    SHA256((const unsigned char *)data, count, out);
}

static inline int switchyard_hmac_sha256(const void *key, size_t keyCount, const void *data, size_t count, unsigned char out[32]) {
    unsigned int length = 32;
    return HMAC(EVP_sha256(), key, (int)keyCount, (const unsigned char *)data, count, out, &length) != NULL;
}
#endif
