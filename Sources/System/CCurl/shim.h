#ifndef SWITCHYARD_CCURL_SHIM_H
#define SWITCHYARD_CCURL_SHIM_H
#include <curl/curl.h>
#include <openssl/ssl.h>
#include <stdlib.h>

// OpenSSL's process-wide start, run before libcurl's and libmongoc's own (which ask for more); both
// choices hold for the process, OpenSSL ignores any later request to load either:
// - no error-string tables: loading them is ~1.1 M instructions at every cold start, and they only
//   turn a failure's code into words ("error:0A000086:lib(20)::reason(134)" instead of "SSL
//   routines::certificate verify failed"; `openssl errstr 0A000086` decodes it, and libcurl's and
//   libmongoc's certificate-problem texts come from X509_verify_cert_error_string, which needs no
//   table);
// - no openssl.cnf unless OPENSSL_CONF names one: the static library's default is the build
//   machine's /usr/lib/ssl/openssl.cnf (~0.8 M instructions to parse), which Lambda's AL2023 does
//   not have, so a local run now starts as a Lambda one does;
// - no legacy by-name cipher table (EVP_get_cipherbyname): OpenSSL 3's TLS fetches its ciphers from the
//   providers, so the table serves only PEM-encrypted keys and DTLS, neither used here. Filling it is
//   ~0.4 M instructions at start (136 ciphers hashed into it), and the first SSL_CTX copies every name
//   into the providers' name map, ~2.5 M more. The digest table stays: certificate checks look
//   digests up by NID. OPENSSL_init_ssl asks for both tables; the "no" claimed first holds.
// Returns OpenSSL's 1 on success, 0 on failure.
static inline int switchyard_openssl_init(void) {
    uint64_t options = OPENSSL_INIT_NO_LOAD_SSL_STRINGS | OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS;
    const char *conf = getenv("OPENSSL_CONF");
    if (conf == NULL || conf[0] == '\0') options |= OPENSSL_INIT_NO_LOAD_CONFIG;
    if (!OPENSSL_init_crypto(options | OPENSSL_INIT_NO_ADD_ALL_CIPHERS, NULL)) return 0;
    return OPENSSL_init_ssl(options, NULL);
}

// Whether the legacy by-name cipher table was filled (tests: switchyard_openssl_init leaves it empty).
static inline int switchyard_openssl_cipher_names_loaded(void) {
    return EVP_get_cipherbyname("AES-128-CBC") != NULL;
}

// Whether libssl's error strings are loaded (tests: switchyard_openssl_init leaves them out).
static inline int switchyard_openssl_error_strings_loaded(void) {
    // ERR_PACK(ERR_LIB_SSL, 0, SSL_R_CERTIFICATE_VERIFY_FAILED): "certificate verify failed" once loaded.
    return ERR_reason_error_string(0x0A000086UL) != NULL;
}

// curl_easy_setopt/getinfo are variadic macros, which Swift cannot call; these typed wrappers can be.
static inline CURLcode switchyard_curl_setopt_long(CURL *h, CURLoption o, long v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode switchyard_curl_setopt_ptr(CURL *h, CURLoption o, const void *v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode switchyard_curl_setopt_off(CURL *h, CURLoption o, curl_off_t v) { return curl_easy_setopt(h, o, v); }
static inline CURLcode switchyard_curl_setopt_write(CURL *h, CURLoption o, size_t (*f)(char *, size_t, size_t, void *)) { return curl_easy_setopt(h, o, f); }
static inline CURLcode switchyard_curl_setopt_xferinfo(CURL *h, int (*f)(void *, curl_off_t, curl_off_t, curl_off_t, curl_off_t)) { return curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, f); }
static inline CURLcode switchyard_curl_getinfo_long(CURL *h, CURLINFO i, long *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode switchyard_curl_getinfo_double(CURL *h, CURLINFO i, double *v) { return curl_easy_getinfo(h, i, v); }
static inline CURLcode switchyard_curl_getinfo_off(CURL *h, CURLINFO i, curl_off_t *v) { return curl_easy_getinfo(h, i, v); }

// The multi interface (the server's event-loop transport): curl_multi_setopt is variadic too.
static inline CURLMcode switchyard_curl_multi_setopt_ptr(CURLM *m, CURLMoption o, const void *v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode switchyard_curl_multi_setopt_long(CURLM *m, CURLMoption o, long v) { return curl_multi_setopt(m, o, v); }
static inline CURLMcode switchyard_curl_multi_setopt_socketfunction(CURLM *m, curl_socket_callback f) { return curl_multi_setopt(m, CURLMOPT_SOCKETFUNCTION, f); }
static inline CURLMcode switchyard_curl_multi_setopt_timerfunction(CURLM *m, curl_multi_timer_callback f) { return curl_multi_setopt(m, CURLMOPT_TIMERFUNCTION, f); }
// CURLMsg's result sits in a union.
static inline CURLcode switchyard_curl_msg_result(const CURLMsg *msg) { return msg->data.result; }

// epoll for curl's sockets. `struct epoll_event` is packed on x86-64, so these pass plain values.
#include <sys/epoll.h>
static inline int switchyard_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }
static inline int switchyard_epoll_ctl(int epfd, int op, int fd, unsigned int events, unsigned long long data) {
    struct epoll_event ev;
    ev.events = events;
    ev.data.u64 = data;
    return epoll_ctl(epfd, op, fd, &ev);
}
// Names the calling thread (the socket watcher's, so per-thread tools can tell it apart).
#include <sys/prctl.h>
static inline void switchyard_name_thread(const char *name) { prctl(PR_SET_NAME, name, 0, 0, 0); }
/// Waits for up to `max` (≤ 64) events; their flags and data go to `events` and `data`.
static inline int switchyard_epoll_wait(int epfd, unsigned int *events, unsigned long long *data, int max, int timeout) {
    struct epoll_event evs[64];
    if (max > 64) max = 64;
    int n = epoll_wait(epfd, evs, max, timeout);
    for (int i = 0; i < n; i++) { events[i] = evs[i].events; data[i] = evs[i].data.u64; }
    return n;
}
#endif
