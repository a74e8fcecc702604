#!/usr/bin/env bash
# Budget bombs through the CLI: builds konfig-lsp, writes small hostile
# programs (a YAML alias bomb and its decode_all/json.encode variants,
# doubling of shared structure as dicts and lists and through
# json.encode/yaml.encode/str, a huge output, 2M output lines, an endless
# comprehension, a quadratic isunique), each as a file and as a one-stack
# Konfig repository, and runs `run`, `compile` and `check` on each under
# /usr/bin/time -v with the default budgets (--timeout 60s, --max-memory
# 256MiB; TIMEOUT=3s for the endless comprehension and the isunique).
# Prints one line per run: exit status, wall time, CPU time (user+sys),
# peak RSS and the error. Every run must end with status 1 in under 5 s
# with a peak RSS under 512 MB (output_lines: `run` prints its 2M lines
# within the budget and exits 0; compile and check refuse to read them).
#
#   bench/bombs.sh            # all bombs
#   BIN=/path/konfig-lsp bench/bombs.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
bin=${BIN:-}
if [ -z "$bin" ]; then
	go build -o "$out/konfig-lsp" ./cmd/konfig-lsp
	bin=$out/konfig-lsp
fi
python3 - "$out/bombs" <<'EOF'
import os, sys
root = sys.argv[1]
os.makedirs(root)
lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
for prev, c in zip('abcdefgh', 'bcdefghi'):
    lines.append(f'{c}: &{c} [' + ','.join([f'*{prev}'] * 9) + ']')
y = "\n".join(lines) + "\n"
def doubling(p, n, lst=False):
    first = f"{p}0 = [1]\n" if lst else f"{p}0 = {{a = 1}}\n"
    body = "".join((f"{p}{i} = [{p}{i-1}, {p}{i-1}]\n" if lst else f"{p}{i} = {{a = {p}{i-1}, b = {p}{i-1}}}\n") for i in range(1, n + 1))
    return first + body
bombs = {
    "yaml_alias": 'import yaml\n\nx = yaml.decode("""' + y + '""")\n',
    "yaml_alias_decode_all": 'import yaml\n\nx = yaml.decode_all("""' + y + '---\n' + y + '""")\n',
    "yaml_alias_json_encode": 'import yaml\nimport json\n\nx = json.encode(yaml.decode("""' + y + '"""))\n',
    "doubling_dict": doubling("d", 27),
    "doubling_list": doubling("l", 27, lst=True),
    "doubling_json_encode": "import json\n" + doubling("_d", 27) + "x = json.encode(_d27)\n",
    "doubling_yaml_encode": "import yaml\n" + doubling("_d", 27) + "x = yaml.encode(_d27)\n",
    "doubling_str": doubling("_d", 27) + "x = str(_d27)\n",
    "huge_output": 's = "x" * 1000000\nbig = [s for _ in range(2000)]\n',
    "endless_comprehension": "r = range(10000)\nx = [i for i in r for j in r for k in r if False]\n",
    "isunique_quadratic": "x = isunique([i for i in range(1000000)])\n",
    # nested {{#each}} over one shared list: 100^6 blocks of text.
    "template_each": 'import template\n\n_l = [i for i in range(100)]\nx = template.execute("' + '{{#each @root.l}}' * 6 + 'xxxxxxxxxx' + '{{/each}}' * 6 + '", {l = _l})\n',
    # a list repeated with copies of a 100k-item list: 2.4 GB of copies.
    "list_repeat": '_big = [i for i in range(100000)]\nx = [_big] * 1000\n',
    # 2M output lines: within run's budget; compile must not read them all.
    "output_lines": 'import manifests\n\nmanifests.yaml_stream([{apiVersion = "v1", kind = "ConfigMap", metadata.name = "a", data = [i for i in range(2000000)]}])\n',
}
for name, src in bombs.items():
    open(os.path.join(root, name + ".k"), "w").write(src)
    d = os.path.join(root, "repos", name)
    os.makedirs(os.path.join(d, "p", "s"))
    open(os.path.join(d, "kcl.mod"), "w").write('[package]\nname = "bomb"\n')
    open(os.path.join(d, "p", "project.yaml"), "w").write("name: p\n")
    open(os.path.join(d, "p", "s", "stack.yaml"), "w").write("name: s\n")
    open(os.path.join(d, "p", "s", "kcl.yaml"), "w").write("kcl_cli_configs:\n  file:\n    - main.k\n")
    open(os.path.join(d, "p", "s", "main.k"), "w").write(src)
EOF
printf '%-24s %-8s %4s %7s %7s %9s  %s\n' bomb command exit wall cpu peakRSS error
for f in "$out"/bombs/*.k; do
	name=$(basename "$f" .k)
	extra=()
	if [ "$name" = endless_comprehension ] || [ "$name" = isunique_quadratic ]; then
		extra=(--timeout "${TIMEOUT:-3s}")
	fi
	for cmd in run compile check; do
		case $cmd in
		run) args=(run "$f") ;;
		compile) args=(compile "$out/bombs/repos/$name/p/s") ;;
		check) args=(check "$out/bombs/repos/$name") ;;
		esac
		set +e
		/usr/bin/time -v -o "$out/time" "$bin" "${args[@]}" "${extra[@]}" >"$out/stdout" 2>"$out/stderr"
		code=$?
		set -e
		wall=$(awk -F': ' '/Elapsed/ {print $2}' "$out/time" | awk -F: '{printf "%.2f", $(NF-1)*60+$NF}')
		cpu=$(awk -F': ' '/User time/ {u=$2} /System time/ {s=$2} END {printf "%.2f", u+s}' "$out/time")
		rss=$(awk -F': ' '/Maximum resident/ {printf "%d MB", $2/1024}' "$out/time")
		msg=$(cat "$out/stdout" "$out/stderr" | grep -o -m1 -E '(memory budget exceeded|evaluation timed out|alias expansion limit exceeded|value too large)[^(]*' || true)
		printf '%-24s %-8s %4s %6ss %6ss %9s  %s\n' "$name" "$cmd" "$code" "$wall" "$cpu" "$rss" "$msg"
	done
done
