#!/usr/bin/env python3
"""Opens one big .k file (didOpen of SIZE_MB megabytes) in konfig-lsp over stdio and reports the time to its
first diagnostics, the server's CPU time and peak RSS, and a hover and a completion's latency afterwards.
The server is killed when its RSS passes CAP_MB.

    python3 bench/sched/big_file.py BINARY SIZE_MB [CAP_MB]
"""
import json, os, shutil, subprocess, sys, threading, time, tempfile

binary, size_mb = sys.argv[1], float(sys.argv[2])
cap_mb = int(sys.argv[3]) if len(sys.argv) > 3 else 3000
root = tempfile.mkdtemp()
open(os.path.join(root, "kcl.mod"), "w").write('[package]\nname = "big"\n')
line = 'attr_{i} = {{"name": "item-{i}", "values": [1, 2, 3], "enabled": True}}\n'
parts, n, i = [], 0, 0
while n < size_mb * 1e6:
    s = line.format(i=i); parts.append(s); n += len(s); i += 1
text = "".join(parts)
path = os.path.join(root, "big.k")
open(path, "w").write(text)
p = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
msgs, cond = [], threading.Condition()
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
        if m.get("method") in ("workspace/configuration", "client/registerCapability", "window/workDoneProgress/create") and "id" in m:
            send({"jsonrpc": "2.0", "id": m["id"], "result": None})
lock = threading.Lock()
def send(m):
    b = json.dumps(m).encode()
    with lock:
        p.stdin.write(b"Content-Length: %d\r\n\r\n" % len(b) + b); p.stdin.flush()
threading.Thread(target=reader, daemon=True).start()
peak = [0]; stop = [False]
def rss():
    for l in open(f"/proc/{p.pid}/status"):
        if l.startswith("VmRSS"): return int(l.split()[1]) // 1024
def cpu():
    f = open(f"/proc/{p.pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def watch():
    while not stop[0] and p.poll() is None:
        try: r = rss()
        except Exception: return
        peak[0] = max(peak[0], r)
        if r > cap_mb:
            print(f"RSS passed {cap_mb} MB at {time.time()-t0:.1f}s: killing"); p.kill(); return
        time.sleep(0.05)
def wait(pred, timeout):
    end = time.time() + timeout
    with cond:
        while True:
            for t, m in msgs:
                if pred(m): return t, m
            if time.time() > end or p.poll() is not None: return None, None
            cond.wait(0.5)
uri = "file://" + path
send({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "rootUri": "file://" + root, "capabilities": {}}})
wait(lambda m: m.get("id") == 1, 30)
send({"jsonrpc": "2.0", "method": "initialized", "params": {}})
time.sleep(0.5)
base = rss()
t0 = time.time()
threading.Thread(target=watch, daemon=True).start()
send({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": "kcl", "version": 1, "text": text}}})
print(f"didOpen sent in {time.time()-t0:.2f}s")
t, m = wait(lambda m: m.get("method") == "textDocument/publishDiagnostics" and m["params"]["uri"] == uri, 120)
if t:
    d = m["params"]["diagnostics"]
    print(f"server CPU at first diagnostics {cpu():.2f}s")
    print(f"size {len(text)/1e6:.1f} MB: first diagnostics after {t-t0:.2f}s: {len(d)} {[x['message'][:160] for x in d[:2]]}")
else:
    print("no diagnostics")
# settle, then hover
time.sleep(3)
for k, meth in enumerate(["textDocument/hover", "textDocument/completion"]):
    ts = time.time()
    send({"jsonrpc": "2.0", "id": 10+k, "method": meth, "params": {"textDocument": {"uri": uri}, "position": {"line": 3, "character": 2}}})
    t2, m2 = wait(lambda m: m.get("id") == 10+k, 60)
    print(f"{meth}: {((t2 or time.time())-ts)*1000:.0f} ms")
print(f"server CPU total {cpu():.2f}s")
print(f"RSS before open {base} MB, peak {peak[0]} MB, now {rss() if p.poll() is None else 'dead'} MB")
stop[0] = True
send({"jsonrpc": "2.0", "id": 99, "method": "shutdown"})
wait(lambda m: m.get("id") == 99, 30)
send({"jsonrpc": "2.0", "method": "exit"})
try: p.wait(10)
except Exception: p.kill()
shutil.rmtree(root)
