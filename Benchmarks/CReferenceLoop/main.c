/*
 * The floor every C runtime starts from: a minimal Lambda Runtime API loop over libcurl that
 * echoes each event, as aws-lambda-cpp does it (one reused easy handle, no timeout on /next).
 * Built by scripts/bench-runtime and measured side by side with Switchyard's echo function.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct { char *data; size_t len, cap; } buffer;

static size_t on_body(char *ptr, size_t size, size_t n, void *user) {
    buffer *b = user;
    size_t add = size * n;
    if (b->len + add + 1 > b->cap) {
        b->cap = (b->len + add + 1) * 2;
        b->data = realloc(b->data, b->cap);
    }
    memcpy(b->data + b->len, ptr, add);
    b->len += add;
    b->data[b->len] = 0;
    return add;
}

static size_t on_header(char *ptr, size_t size, size_t n, void *user) {
    static const char name[] = "lambda-runtime-aws-request-id:";
    size_t len = size * n;
    if (len > sizeof(name) - 1 && strncasecmp(ptr, name, sizeof(name) - 1) == 0) {
        char *id = user, *start = ptr + sizeof(name) - 1;
        while (*start == ' ') start++;
        size_t idlen = 0;
        while (start + idlen < ptr + len && start[idlen] != '\r' && start[idlen] != '\n' && idlen < 127) idlen++;
        memcpy(id, start, idlen);
        id[idlen] = 0;
    }
    return len;
}

int main(void) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api) return 1;
    char next_url[256], post_url[512], request_id[128];
    snprintf(next_url, sizeof next_url, "http://%s/2018-06-01/runtime/invocation/next", api);
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *curl = curl_easy_init();
    buffer event = {0};
    struct curl_slist *headers = curl_slist_append(NULL, "Content-Type: application/json");
    headers = curl_slist_append(headers, "Expect:");
    for (;;) {
        event.len = 0;
        request_id[0] = 0;
        curl_easy_reset(curl);
        curl_easy_setopt(curl, CURLOPT_URL, next_url);
        curl_easy_setopt(curl, CURLOPT_TIMEOUT, 0L);
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, 1L);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
        curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &event);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, request_id);
        if (curl_easy_perform(curl) != CURLE_OK || !request_id[0]) return 2;
        snprintf(post_url, sizeof post_url, "http://%s/2018-06-01/runtime/invocation/%s/response", api, request_id);
        curl_easy_setopt(curl, CURLOPT_URL, post_url);
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, event.data ? event.data : "");
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)event.len);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, NULL);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, NULL);
        buffer ignored = {0};
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &ignored);
        if (curl_easy_perform(curl) != CURLE_OK) return 3;
        free(ignored.data);
    }
}
