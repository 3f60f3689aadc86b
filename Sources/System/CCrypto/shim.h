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

// MD5, only to check SQS's MD5OfBody (an integrity check of the transfer, as the AWS SDKs do).
static inline int switchyard_md5(const void *data, size_t count, unsigned char out[16]) {
    unsigned int length = 16;
    return EVP_Digest(data, count, out, &length, EVP_md5(), NULL);
}
#endif
