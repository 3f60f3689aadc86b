#!/usr/bin/env python3
"""Where a bootstrap's memory is at init: starts unpacked zips in turn (interleaved rounds) under a minimal
Runtime API and, at each one's first GET /next, reads /proc/<pid>/smaps (all resident memory, and the
bootstrap's executable mapping alone), its minor and major page faults, and exec-to-/next wall time; prints
medians (KiB) per label. EVICT=1 drops the bootstrap's pages from the page cache before each start
(posix_fadvise DONTNEED), as in a new Lambda sandbox. Nothing is invoked. docs/packaging.md, seventh pass.

  EVICT=1 init_pages.py ENV-FILE ROUNDS LABEL=BOOTSTRAP:TASK-DIR ...
  ENV-FILE: KEY=VALUE words the function needs at init (AWS_REGION=..., MONGODB_URI=...)
"""
import http.server, json, os, socket, subprocess, sys, threading, time, statistics

def measure(binary, env, task):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    result = {}
    done = threading.Event()
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def do_GET(self):
            t = time.perf_counter()
            pid = proc.pid
            text = rss = 0
            cur = None
            for line in open(f"/proc/{pid}/smaps"):
                parts = line.split()
                if "-" in parts[0] and len(parts) >= 5 and not line.startswith(("Rss", "Size")) and ":" not in parts[0]:
                    cur = (parts[1], parts[-1] if len(parts) >= 6 else "")
                elif parts[0] == "Rss:":
                    kb = int(parts[1]); rss += kb
                    if cur and cur[0].startswith("r-x") and cur[1].endswith("bootstrap"):
                        text += kb
            stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            result.update(init_ms=(t - start) * 1000, text_kb=text, rss_kb=rss, minflt=int(stat[7]), majflt=int(stat[9]))
            proc.kill(); done.set()
            self.send_response(500); self.end_headers()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    e = dict(env, AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}", LAMBDA_TASK_ROOT=task, LD_LIBRARY_PATH=os.path.join(task, "lib"))
    if os.environ.get("EVICT"):
        fd = os.open(binary, os.O_RDONLY); os.fsync(fd); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED); os.close(fd)
    start = time.perf_counter()
    proc = subprocess.Popen([binary], env=e, cwd=task, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ok = done.wait(30)
    proc.wait(); srv.shutdown()
    if not ok: raise SystemExit(f"{binary}: no /next")
    return result

env = dict(l.split("=", 1) for l in open(sys.argv[1]).read().split())
rounds = int(sys.argv[2]); pairs = sys.argv[3:]  # label=binary:task
runs = {p.split("=")[0]: [] for p in pairs}
for r in range(rounds):
    for p in pairs:
        label, rest = p.split("=", 1); binary, task = rest.split(":")
        runs[label].append(measure(binary, env, task))
for label, rs in runs.items():
    med = {k: statistics.median(x[k] for x in rs) for k in rs[0]}
    print(json.dumps({"label": label, "n": len(rs), **{k: round(v, 2) for k, v in med.items()},
                      "text_kb_range": [min(x["text_kb"] for x in rs), max(x["text_kb"] for x in rs)]}))
