// npm run bundle-server: builds konfig-lsp with `go build` into
// bin/<platform>-<arch>/ (node's names), where the extension looks for a
// bundled server. Targets: this machine's, or KONFIG_LSP_TARGETS, a comma
// list such as "linux-x64,linux-arm64,darwin-arm64,win32-x64".
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const ext = resolve(here, '..');
const repo = resolve(ext, '..', '..');
const goos = { linux: 'linux', darwin: 'darwin', win32: 'windows' };
const goarch = { x64: 'amd64', arm64: 'arm64' };

const targets = (process.env.KONFIG_LSP_TARGETS || `${process.platform}-${process.arch}`)
  .split(',')
  .map((t) => t.trim())
  .filter(Boolean);
for (const t of targets) {
  const [platform, arch] = t.split('-');
  if (!goos[platform] || !goarch[arch]) {
    console.error(`bundle-server: unknown target ${t} (want <linux|darwin|win32>-<x64|arm64>)`);
    process.exit(2);
  }
  const out = join(ext, 'bin', t, platform === 'win32' ? 'konfig-lsp.exe' : 'konfig-lsp');
  mkdirSync(dirname(out), { recursive: true });
  console.log(`go build -o ${out} ./cmd/konfig-lsp (GOOS=${goos[platform]} GOARCH=${goarch[arch]})`);
  execFileSync('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', out, './cmd/konfig-lsp'], {
    cwd: repo,
    stdio: 'inherit',
    env: { ...process.env, GOOS: goos[platform], GOARCH: goarch[arch], CGO_ENABLED: '0' },
  });
}
