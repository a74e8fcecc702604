#!/usr/bin/env python3
"""Opens, in a copy of EXAMPLES, a stack whose main.k never finishes evaluating (KIND time: an endless
comprehension; memory: a doubling of shared structure turned into a string) and a second stack with a policy
error, in konfig-lsp over stdio; sends a hover or a completion every 100 ms on the bomb's file until its
budget diagnostic arrives (60 s at most), and reports when each stack's diagnostic arrived, the requests'
latencies and the server's peak RSS. SETTINGS is the initializationOptions JSON. BENCH_INSTANCE=1 hovers on
the instance (its preview needs the stack's evaluation) instead of the import; BENCH_RAW=1 prints every
latency in order.

    python3 bench/sched/bomb_stack.py BINARY examples '{"evalTimeoutMs": 10000}' time
"""
import json, os, shutil, subprocess, sys, threading, time, tempfile

binary, examples = sys.argv[1], sys.argv[2]
opts = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
root = tempfile.mkdtemp()
shutil.copytree(examples, root, dirs_exist_ok=True)
p = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
msgs, cond, lock = [], threading.Condition(), threading.Lock()
def send(m):
    b = json.dumps(m).encode()
    with lock:
        p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b); p.stdin.flush()
def reader():
    f = p.stdout
    while True:
        hdr = b""
        while not hdr.endswith(b"\r\n\r\n"):
            c = f.read(1)
            if not c: return
            hdr += c
        ln = int([h for h in hdr.split(b"\r\n") if h.lower().startswith(b"content-length")][0].split(b":")[1])
        m = json.loads(f.read(ln))
        with cond:
            msgs.append((time.time(), m)); cond.notify_all()
        if m.get("method") and "id" in m:
            send({"jsonrpc": "2.0", "id": m["id"], "result": None})
threading.Thread(target=reader, daemon=True).start()
def wait(pred, timeout):
    end = time.time() + timeout
    with cond:
        while True:
            for t, m in msgs:
                if pred(m): return t, m
            if time.time() > end: return None, None
            cond.wait(0.2)
def rss(key="VmRSS"):
    for l in open(f"/proc/{p.pid}/status"):
        if l.startswith(key): return int(l.split()[1]) // 1024
send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": "file://" + root, "capabilities": {}, "initializationOptions": opts}})
wait(lambda m: m.get("id") == 1, 30)
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
bomb = os.path.join(root, "shop/dev/main.k"); good = os.path.join(root, "blog/dev/main.k")
kind = sys.argv[4] if len(sys.argv) > 4 else "time"
if kind == "memory":
    bsrc = open(bomb).read() + "\nd0 = {a = 1}\n" + "".join(f"d{i} = {{a = d{i-1}, b = d{i-1}}}\n" for i in range(1, 28)) + "_s = str(d27)\n"
else:
    bsrc = open(bomb).read() + "\n_bomb = [i for i in range(100000) for j in range(100000) if False]\n"
marker = "memory budget" if kind == "memory" else "time limit"
gsrc = open(good).read().replace("ghost:5.82.2", "ghost:latest")
t0 = time.time()
for path, src in ((bomb, bsrc), (good, gsrc)):
    send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file://" + path, "languageId": "kcl", "version": 1, "text": src}}})
def diag_with(path, text):
    return lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == "file://" + path and any(text in d["message"] for d in m["params"]["diagnostics"])
lat, i, done = [], 100, [None]
def budget_arrived():
    with cond:
        for t, m in msgs:
            if diag_with(bomb, marker)(m): return t
while time.time() - t0 < 60 and not budget_arrived():
    i += 1
    ts = time.time()
    meth = "textDocument/hover" if i % 2 else "textDocument/completion"
    # BENCH_INSTANCE=1: the hovers are on the instance (`storefront:`, line 3), whose preview needs the
    # stack's evaluation; else on the import.
    hover_pos = {"line": 3, "character": 2} if os.environ.get("BENCH_INSTANCE") else {"line": 0, "character": 15}
    pos = hover_pos if i % 2 else {"line": 5, "character": 4}
    send({"jsonrpc": "2.0", "id": i, "method": meth, "params": {"textDocument": {"uri": "file://" + bomb}, "position": pos}})
    t2, _ = wait(lambda m, i=i: m.get("id") == i, 30)
    lat.append(((t2 or time.time()) - ts) * 1000)
    time.sleep(0.1)
tg, _ = wait(diag_with(good, "latest tag is not allowed"), 1)
tb = budget_arrived()
print(f"options {opts}")
print(f"good stack's policy diagnostic after {tg - t0:.2f}s" if tg else "good stack: no policy diagnostic")
if tb:
    _, m = wait(diag_with(bomb, marker), 1)
    d = [d for d in m["params"]["diagnostics"] if marker in d["message"]]
    print(f"bomb stack's budget diagnostic after {tb - t0:.2f}s ({len(d)}): {d[0]['message']}")
else:
    print("bomb stack: no budget diagnostic in 60 s")
    last = [m for t, m in msgs if m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == "file://" + bomb]
    print("last bomb diagnostics:", [d["message"][:300] for d in last[-1]["params"]["diagnostics"]] if last else None)
if os.environ.get("BENCH_RAW"):
    print("latencies in order (ms):", " ".join(f"{x:.0f}" for x in lat))
lat.sort()
print(f"{len(lat)} hover/completion requests meanwhile: median {lat[len(lat)//2]:.1f} ms, p90 {lat[int(len(lat)*0.9)]:.1f} ms, max {lat[-1]:.1f} ms")
print(f"server peak RSS {rss('VmHWM')} MB")
send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"}); wait(lambda m: m.get("id") == 99, 30)
send({"jsonrpc": "2.0", "method": "exit"})
try: p.wait(10)
except Exception: p.kill()
shutil.rmtree(root)
