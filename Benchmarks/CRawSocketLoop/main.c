/*
 * The floor under every runtime: a Lambda Runtime API loop over one raw TCP socket, echoing each
 * event. No libcurl, no allocation per invocation, nothing but libc: what a runtime costs when it
 * does nothing but the protocol. Built by scripts/bench-runtime and measured beside the C +
 * libcurl loop and Switchyard's echo function.
 */
#define _GNU_SOURCE
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

static char buf[(1 << 20) + 65536];
static size_t have;

static int connect_to(const char *api) {
    char host[256];
    const char *colon = strrchr(api, ':');
    if (!colon || (size_t)(colon - api) >= sizeof host) return -1;
    memcpy(host, api, colon - api);
    host[colon - api] = 0;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0) return -1;
    int fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) != 0) return -1;
    freeaddrinfo(res);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int send_all(int fd, struct iovec *iov, int n) {
    while (n > 0) {
        ssize_t w = writev(fd, iov, n);
        if (w < 0) return -1;
        while (n > 0 && (size_t)w >= iov->iov_len) { w -= iov->iov_len; iov++; n--; }
        if (n > 0) { iov->iov_base = (char *)iov->iov_base + w; iov->iov_len -= w; }
    }
    return 0;
}

/* Reads one response into buf: returns the body offset, sets *body_len and the request id. */
static long read_response(int fd, size_t *body_len, char *request_id, size_t id_cap) {
    have = 0;
    char *end;
    while (!(end = memmem(buf, have, "\r\n\r\n", 4))) {
        ssize_t n = recv(fd, buf + have, sizeof buf - have, 0);
        if (n <= 0) return -1;
        have += n;
    }
    size_t head = end - buf + 4, length = 0;
    for (char *line = strstr(buf, "\r\n") + 2; line < end; line = strstr(line, "\r\n") + 2) {
        if (!strncasecmp(line, "content-length:", 15)) length = strtoul(line + 15, NULL, 10);
        if (request_id && !strncasecmp(line, "lambda-runtime-aws-request-id:", 30)) {
            char *v = line + 30;
            while (*v == ' ') v++;
            size_t n = strcspn(v, "\r");
            if (n >= id_cap) return -1;
            memcpy(request_id, v, n);
            request_id[n] = 0;
        }
    }
    if (head + length > sizeof buf) return -1;
    while (have < head + length) {
        ssize_t n = recv(fd, buf + have, sizeof buf - have, 0);
        if (n <= 0) return -1;
        have += n;
    }
    *body_len = length;
    return (long)head;
}

int main(void) {
    const char *api = getenv("AWS_LAMBDA_RUNTIME_API");
    if (!api) return 1;
    int fd = connect_to(api);
    if (fd < 0) return 2;
    char next[320], post[512], request_id[128];
    int next_len = snprintf(next, sizeof next, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: %s\r\n\r\n", api);
    for (;;) {
        struct iovec get = {next, (size_t)next_len};
        if (send_all(fd, &get, 1) != 0) return 3;
        size_t length;
        request_id[0] = 0;
        long body = read_response(fd, &length, request_id, sizeof request_id);
        if (body < 0 || !request_id[0]) return 4;
        int post_len = snprintf(post, sizeof post,
                                "POST /2018-06-01/runtime/invocation/%s/response HTTP/1.1\r\nHost: %s\r\n"
                                "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
                                request_id, api, length);
        struct iovec out[2] = {{post, (size_t)post_len}, {buf + body, length}};
        if (send_all(fd, out, 2) != 0) return 5;
        if (read_response(fd, &length, NULL, 0) < 0) return 6;
    }
}
