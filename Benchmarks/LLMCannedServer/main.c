// A provider stand-in for client-overhead benchmarks: answers every POST /v1/chat/completions at
// once with a canned OpenAI response carrying a 1 KB completion (or the same as an SSE stream
// when the request asks for "stream":true). Keep-alive, TCP_NODELAY, a thread per connection,
// so the server's own cost is a few microseconds and the measured time is the client's.
//   canned-server PORT
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

static char json_response[8192];
static size_t json_length;
static char sse_response[16384];
static size_t sse_length;

static void build_responses(void) {
    char text[1025];
    const char *words = "lorem ipsum dolor sit amet ";
    for (int i = 0; i < 1024; i++) text[i] = words[i % 27];
    text[1024] = 0;
    char body[4096];
    int n = snprintf(body, sizeof body,
        "{\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion\",\"created\":1764000000,\"model\":\"gpt-4o-mini\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"%s\",\"refusal\":null,\"annotations\":[]},"
        "\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":200,"
        "\"total_tokens\":220,\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
        "\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,"
        "\"rejected_prediction_tokens\":0}},\"service_tier\":\"default\",\"system_fingerprint\":\"fp_bench\"}", text);
    json_length = snprintf(json_response, sizeof json_response,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-request-id: req_bench\r\nContent-Length: %d\r\n\r\n%s", n, body);

    // The same 1 KB as 16 chunks of 64 bytes, usage, [DONE].
    char events[12288];
    size_t e = 0;
    for (int c = 0; c < 16; c++) {
        e += snprintf(events + e, sizeof events - e,
            "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,\"model\":\"gpt-4o-mini\","
            "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"%.64s\"},\"logprobs\":null,\"finish_reason\":%s}],\"usage\":null}\n\n",
            text + c * 64, c == 15 ? "\"stop\"" : "null");
    }
    e += snprintf(events + e, sizeof events - e,
        "data: {\"id\":\"chatcmpl-bench\",\"object\":\"chat.completion.chunk\",\"created\":1764000000,\"model\":\"gpt-4o-mini\","
        "\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":200,\"total_tokens\":220}}\n\ndata: [DONE]\n\n");
    sse_length = snprintf(sse_response, sizeof sse_response,
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nx-request-id: req_bench\r\nContent-Length: %zu\r\n\r\n%s",
        e, events);
}

static int write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static void *serve(void *arg) {
    int fd = (int)(long)arg;
    char buf[1 << 16];
    size_t have = 0;
    for (;;) {
        ssize_t r = read(fd, buf + have, sizeof buf - have - 1);
        if (r <= 0) break;
        have += (size_t)r;
        buf[have] = 0;
        for (;;) {
            char *end = strstr(buf, "\r\n\r\n");
            if (!end) break;
            size_t header = (size_t)(end - buf) + 4;
            size_t length = 0;
            char *cl = strcasestr(buf, "\r\ncontent-length:");
            if (cl && cl < end) length = strtoul(cl + 17, NULL, 10);
            if (have < header + length) break;
            int stream = memmem(buf + header, length, "\"stream\":true", 13) != NULL;
            if (strncmp(buf, "GET /health", 11) == 0) {
                const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
                if (write_all(fd, ok, strlen(ok))) goto done;
            } else if (write_all(fd, stream ? sse_response : json_response, stream ? sse_length : json_length)) {
                goto done;
            }
            memmove(buf, buf + header + length, have - header - length);
            have -= header + length;
            buf[have] = 0;
        }
        if (have >= sizeof buf - 1) break;
    }
done:
    close(fd);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: canned-server PORT\n"); return 64; }
    build_responses();
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (bind(s, (struct sockaddr *)&a, sizeof a) || listen(s, 128)) { perror("canned-server"); return 1; }
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) continue;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_t t;
        pthread_create(&t, NULL, serve, (void *)(long)c);
        pthread_detach(t);
    }
}
