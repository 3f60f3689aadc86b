/*
 * A neutral Runtime API harness for scripts/bench-runtime: it serves /next and accepts
 * /response for one runtime process at a time, with blocking sockets and no framework, so the
 * numbers measure the runtime under test rather than the server.
 *
 *   harness <bootstrap> <cold-starts> <warm-invokes> <event-file> [--expect TEXT] [--init-only] [--wait-ms N]
 *           [NAME=VALUE ...]
 *
 * For each cold start: fork+exec the bootstrap, time spawn → first GET /next (init), then the
 * first invocation (event sent → response received). The last process then serves the warm
 * invokes. Every response is checked: without --expect it must be the event (the runtimes under
 * test echo it), with --expect TEXT a POST to /response whose body (Content-Length, or chunked as a
 * streamed response is) holds TEXT. A wrong answer (a
 * POST to /error included) is counted in "failures" and never timed. Prints one JSON object.
 *
 * The bootstrap gets a fixed environment (the Runtime API address, function name, memory size,
 * LAMBDA_TASK_ROOT=/tmp, PATH) plus the NAME=VALUE arguments, which may replace those: a packaged
 * function runs with LAMBDA_TASK_ROOT=<unzipped dir> and LD_LIBRARY_PATH=<dir>/lib, as on Lambda.
 * --init-only stops each cold start at its first GET /next (no invocation): what a bootstrap loads
 * to start, and how fast. "init_rss_kb" is the resident memory once init is done; "libraries"
 * lists the shared objects mapped by the last process.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static char buf[1 << 20];
static const char *expect_text;
static size_t buf_len;

/* How long the runtime may stay silent (--wait-ms; raise it for a runtime under valgrind). */
static int wait_ms = 10000;

/* Waits until fd is readable; a runtime that stops answering for wait_ms ends the benchmark. */
static void await_readable(int fd) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, wait_ms) != 1) {
        fprintf(stderr, "harness: the runtime under test stopped talking (crashed or hung)\n");
        exit(1);
    }
}

/* Reads more of the request into buf; returns 0 on EOF or a full buffer. */
static int read_more(int fd) {
    await_readable(fd);
    ssize_t n = recv(fd, buf + buf_len, sizeof buf - buf_len - 1, 0);
    if (n <= 0) return 0;
    buf_len += n;
    return 1;
}

/* Decodes a chunked body that starts at buf[head] in place (a streamed response: Lambda's
 * `Lambda-Runtime-Function-Response-Mode: streaming`), reading until its last chunk and trailers,
 * so that buf holds the head and the plain body. Returns 0 on EOF or a malformed body. */
static int read_chunked(int fd, size_t head) {
    size_t in = head, out = head;
    for (;;) {
        char *line;
        while (!(line = memmem(buf + in, buf_len - in, "\r\n", 2)))
            if (!read_more(fd)) return 0;
        char *digits_end;
        size_t size = strtoul(buf + in, &digits_end, 16);
        if (digits_end == buf + in) return 0;
        size_t data = line - buf + 2;
        if (size == 0) {
            /* Trailers (the runtime's error type and body, when it failed mid-stream), then CRLF. */
            size_t at = data;
            for (;;) {
                char *crlf;
                while (!(crlf = memmem(buf + at, buf_len - at, "\r\n", 2)))
                    if (!read_more(fd)) return 0;
                if (crlf == buf + at) break;
                at = crlf - buf + 2;
            }
            buf_len = out;
            return 1;
        }
        while (buf_len < data + size + 2)
            if (!read_more(fd)) return 0;
        memmove(buf + out, buf + data, size);
        out += size;
        in = data + size + 2;
    }
}

/* Reads one HTTP request (headers + Content-Length or chunked body). Returns 0 on EOF. */
static int read_request(int fd, char *method_out) {
    buf_len = 0;
    for (;;) {
        char *end = memmem(buf, buf_len, "\r\n\r\n", 4);
        if (end) {
            size_t head = end - buf + 4, body = 0;
            char *cl = strcasestr(buf, "content-length:");
            char *te = strcasestr(buf, "transfer-encoding: chunked");
            if (te && te < end) {
                memcpy(method_out, buf, 4);
                return read_chunked(fd, head);
            }
            if (cl && cl < end) body = strtoul(cl + 15, NULL, 10);
            while (buf_len < head + body) {
                await_readable(fd);
                ssize_t n = recv(fd, buf + buf_len, sizeof buf - buf_len, 0);
                if (n <= 0) return 0;
                buf_len += n;
            }
            memcpy(method_out, buf, 4);
            return 1;
        }
        await_readable(fd);
        ssize_t n = recv(fd, buf + buf_len, sizeof buf - buf_len, 0);
        if (n <= 0) return 0;
        buf_len += n;
    }
}

static void send_all(int fd, const char *data, size_t len) {
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        if (n <= 0) return;
        data += n;
        len -= n;
    }
}

static char event[65536];
static size_t event_len;
static int listener;
static int conn = -1;
static long request_counter;

static int next_request(char *method) {
    for (;;) {
        if (conn < 0) {
            await_readable(listener);
            conn = accept(listener, NULL, NULL);
            int one = 1;
            setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        if (read_request(conn, method)) return 1;
        close(conn);
        conn = -1;
    }
}

static void send_invocation(void) {
    char head[512];
    long long deadline = (long long)time(NULL) * 1000 + 900000;
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: req-%ld\r\n"
                     "Lambda-Runtime-Deadline-Ms: %lld\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:0:function:echo\r\n"
                     "Lambda-Runtime-Trace-Id: Root=1-00000000-000000000000000000000000;Sampled=0\r\nContent-Length: %zu\r\n\r\n",
                     ++request_counter, deadline, event_len);
    char *out = malloc(n + event_len);
    memcpy(out, head, n);
    memcpy(out + n, event, event_len);
    send_all(conn, out, n + event_len);
    free(out);
}

static const char accepted[] = "HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{\"status\":\"OK\"}\n";

static long failures;

/* Whether the request in buf is a POST to /response whose body is the event (no --expect) or
 * holds expect_text. The first wrong answer is shown on stderr. */
static int valid_response(void) {
    char *end = memmem(buf, buf_len, "\r\n\r\n", 4);
    int ok = end && memcmp(buf, "POST ", 5) == 0 && memmem(buf, end - buf, "/response HTTP/1.1", 18);
    if (ok) {
        size_t head = end - buf + 4, body_len = buf_len - head;
        ok = expect_text ? memmem(buf + head, body_len, expect_text, strlen(expect_text)) != NULL
                         : body_len == event_len && memcmp(buf + head, event, event_len) == 0;
    }
    if (!ok && failures == 0)
        fprintf(stderr, "harness: wrong answer: %.*s\n", (int)(buf_len < 600 ? buf_len : 600), buf);
    return ok;
}

/* Sends one invocation, waits for the /response, answers it; returns the round trip in µs, or
 * -1 when the response was not the event (counted in failures, not timed). */
static double one_invoke(void) {
    char method[5] = {0};
    double start = now_us();
    send_invocation();
    if (!next_request(method) || strncmp(method, "POST", 4)) { fprintf(stderr, "expected POST /response\n"); exit(1); }
    double end = now_us();
    int valid = valid_response();
    send_all(conn, accepted, sizeof accepted - 1);
    /* The runtime's next GET /next. */
    if (!next_request(method) || strncmp(method, "GET ", 4)) { fprintf(stderr, "expected GET /next\n"); exit(1); }
    if (!valid) {
        failures++;
        return -1;
    }
    return end - start;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* A "VmHWM:" or "VmRSS:" figure of /proc/<pid>/status, in KB. */
static long status_kb(pid_t pid, const char *field) {
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, strlen(field))) kb = strtol(line + strlen(field), NULL, 10);
    if (f) fclose(f);
    return kb;
}

/* CPU time all the process's threads have run, in ns (/proc/<pid>/task/<tid>/schedstat): a
 * per-invocation cost that, unlike latency, other load on the machine hardly disturbs. */
static long long cpu_ns(pid_t pid) {
    char path[320];
    snprintf(path, sizeof path, "/proc/%d/task", pid);
    DIR *tasks = opendir(path);
    if (!tasks) return -1;
    long long total = 0;
    struct dirent *task;
    while ((task = readdir(tasks))) {
        if (task->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "/proc/%d/task/%s/schedstat", pid, task->d_name);
        FILE *f = fopen(path, "r");
        long long ns = 0;
        if (f && fscanf(f, "%lld", &ns) == 1) total += ns;
        if (f) fclose(f);
    }
    closedir(tasks);
    return total;
}

static char seen[200][256];

/* Collects the distinct shared objects mapped by pid into seen[]; returns how many. */
static int shared_libraries(pid_t pid) {
    char path[64], line[512];
    int count = 0;
    snprintf(path, sizeof path, "/proc/%d/maps", pid);
    FILE *f = fopen(path, "r");
    while (f && fgets(line, sizeof line, f)) {
        char *p = strchr(line, '/');
        if (!p || !strstr(p, ".so")) continue;
        p[strcspn(p, "\n")] = 0;
        int dup = 0;
        for (int i = 0; i < count; i++) if (!strcmp(seen[i], p)) dup = 1;
        if (!dup && count < 200) strncpy(seen[count++], p, 255);
    }
    if (f) fclose(f);
    return count;
}

/* Sets NAME=VALUE in env (replacing NAME's earlier entry); env holds at most 63 entries. */
static void put_env(char **env, int *count, char *entry) {
    size_t name = strcspn(entry, "=");
    for (int i = 0; i < *count; i++)
        if (!strncmp(env[i], entry, name + 1)) { env[i] = entry; return; }
    if (*count < 63) env[(*count)++] = entry;
    env[*count] = NULL;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: harness <bootstrap> <cold-starts> <warm-invokes> <event> [--expect TEXT] [--init-only] "
                        "[--wait-ms N] [NAME=VALUE ...]\n");
        return 64;
    }
    int colds = atoi(argv[2]), warms = atoi(argv[3]);
    FILE *ef = fopen(argv[4], "rb");
    if (!ef) { perror(argv[4]); return 66; }
    event_len = fread(event, 1, sizeof event, ef);
    fclose(ef);

    listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(listener, (struct sockaddr *)&addr, sizeof addr);
    listen(listener, 16);
    socklen_t alen = sizeof addr;
    getsockname(listener, (struct sockaddr *)&addr, &alen);
    char api[64];
    snprintf(api, sizeof api, "AWS_LAMBDA_RUNTIME_API=127.0.0.1:%d", ntohs(addr.sin_port));
    char *envp[64] = {NULL};
    int env_count = 0, init_only = 0;
    char *defaults[] = {api, "AWS_LAMBDA_FUNCTION_NAME=echo", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
                        "LAMBDA_TASK_ROOT=/tmp", "PATH=/usr/bin:/bin"};
    for (size_t i = 0; i < sizeof defaults / sizeof *defaults; i++) put_env(envp, &env_count, defaults[i]);
    for (int i = 5; i < argc; i++) {
        if (!strcmp(argv[i], "--expect") && i + 1 < argc) expect_text = argv[++i];
        else if (!strcmp(argv[i], "--init-only")) init_only = 1;
        else if (!strcmp(argv[i], "--wait-ms") && i + 1 < argc) wait_ms = atoi(argv[++i]);
        else if (strchr(argv[i], '=')) put_env(envp, &env_count, argv[i]);
        else { fprintf(stderr, "harness: unexpected argument %s\n", argv[i]); return 64; }
    }

    double *init = calloc(colds, sizeof(double)), *first = calloc(colds, sizeof(double));
    double *warm = calloc(warms > 0 ? warms : 1, sizeof(double));
    long hwm = 0, init_rss = 0;
    int libs = 0;
    double cpu_per_invoke_us = -1;
    for (int c = 0; c < colds; c++) {
        char method[5] = {0};
        double t0 = now_us();
        pid_t pid = fork();
        if (pid == 0) {
            execve(argv[1], (char *[]){argv[1], NULL}, envp);
            _exit(127);
        }
        if (!next_request(method)) { fprintf(stderr, "runtime did not call /next\n"); return 1; }
        init[c] = now_us() - t0;
        if (strncmp(method, "GET ", 4)) {
            fprintf(stderr, "harness: init failed: %.*s\n", (int)(buf_len < 600 ? buf_len : 600), buf);
            return 1;
        }
        /* Resident memory once init is done (the runtime waits on /next), before any invocation. */
        if (c == colds - 1) init_rss = status_kb(pid, "VmRSS:");
        if (init_only) {
            if (c == colds - 1) libs = shared_libraries(pid), hwm = status_kb(pid, "VmHWM:");
        } else first[c] = one_invoke();
        if (c == colds - 1 && !init_only) {
            long long cpu_before = cpu_ns(pid);
            for (int i = 0; i < warms; i++) warm[i] = one_invoke();
            long long cpu_after = cpu_ns(pid);
            if (cpu_before >= 0 && cpu_after >= 0 && warms > 0) cpu_per_invoke_us = (cpu_after - cpu_before) / 1e3 / warms;
            hwm = status_kb(pid, "VmHWM:");
            libs = shared_libraries(pid);
        }
        /* SIGTERM first (Lambda's shutdown signal; lets a profiler such as callgrind write its
         * output), SIGKILL if the runtime is still there after a second. */
        kill(pid, SIGTERM);
        int grace = wait_ms > 10000 ? wait_ms / 10 : 100; /* a profiler writing its output takes longer */
        for (int i = 0; i < grace && waitpid(pid, NULL, WNOHANG) == 0; i++) usleep(10000);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(conn);
        conn = -1;
    }
    /* Failed invocations sort first as -1 and are left out of the percentiles. */
    qsort(init, colds, sizeof(double), cmp);
    qsort(first, colds, sizeof(double), cmp);
    if (init_only) warms = 0, first[0] = 0, warm[0] = 0;
    qsort(warm, warms, sizeof(double), cmp);
    int fc = 0, wc = 0;
    while (fc < colds && first[fc] < 0) fc++;
    while (wc < warms && warm[wc] < 0) wc++;
    int firsts = init_only ? 1 : colds - fc, warmed = init_only ? 1 : warms - wc;
    if (firsts == 0 || warmed == 0) {
        fprintf(stderr, "harness: no valid response to time (%ld failures)\n", failures);
        return 1;
    }
    printf("{\"init_median_us\":%.1f,\"init_min_us\":%.1f,\"first_invoke_median_us\":%.1f,"
           "\"warm_p50_us\":%.1f,\"warm_p99_us\":%.1f,\"vm_hwm_kb\":%ld,\"init_rss_kb\":%ld,\"shared_libraries\":%d,"
           "\"cold_starts\":%d,\"warm_invokes\":%d,\"failures\":%ld,\"cpu_per_invoke_us\":%.2f,\"libraries\":[",
           init[colds / 2], init[0], first[fc + firsts / 2], warm[wc + warmed / 2], warm[wc + (int)(warmed * 0.99)], hwm,
           init_rss, libs, colds, warms, failures, cpu_per_invoke_us);
    /* Paths come from /proc/<pid>/maps; quotes and backslashes are escaped for JSON. */
    for (int i = 0; i < libs; i++) {
        printf("%s\"", i ? "," : "");
        for (const char *p = seen[i]; *p; p++) printf(*p == '"' || *p == '\\' ? "\\%c" : "%c", *p);
        printf("\"");
    }
    printf("]}\n");
    return 0;
}
