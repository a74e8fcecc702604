import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { resolveServer, ResolveInput, Resolved } from '../src/lib/server';

const base: Omit<ResolveInput, 'isExecutable'> = {
  configured: '',
  extensionPath: '/ext',
  platform: 'linux',
  arch: 'x64',
  envPath: '/usr/local/bin:/usr/bin',
  home: '/home/dev',
};

interface Case {
  name: string;
  input: Partial<ResolveInput>;
  executables: string[];
  want: Resolved | { ok: false; messageIncludes: string[] };
}

const cases: Case[] = [
  {
    name: 'the setting wins over the bundled binary and PATH',
    input: { configured: '/opt/konfig-lsp' },
    executables: ['/opt/konfig-lsp', '/ext/bin/linux-x64/konfig-lsp', '/usr/bin/konfig-lsp'],
    want: { ok: true, path: '/opt/konfig-lsp', source: 'setting' },
  },
  {
    name: 'a ~ in the setting is the home directory',
    input: { configured: '~/go/bin/konfig-lsp' },
    executables: ['/home/dev/go/bin/konfig-lsp'],
    want: { ok: true, path: '/home/dev/go/bin/konfig-lsp', source: 'setting' },
  },
  {
    name: 'a wrong setting is an error, not a silent fallback',
    input: { configured: '/nope/konfig-lsp' },
    executables: ['/ext/bin/linux-x64/konfig-lsp'],
    want: { ok: false, messageIncludes: ['konfig-lsp.server.path', '/nope/konfig-lsp'] },
  },
  {
    name: 'a blank setting counts as unset',
    input: { configured: '   ' },
    executables: ['/ext/bin/linux-x64/konfig-lsp'],
    want: { ok: true, path: '/ext/bin/linux-x64/konfig-lsp', source: 'bundled' },
  },
  {
    name: 'the bundled binary of this platform comes before PATH',
    input: { platform: 'darwin', arch: 'arm64' },
    executables: ['/ext/bin/darwin-arm64/konfig-lsp', '/usr/bin/konfig-lsp'],
    want: { ok: true, path: '/ext/bin/darwin-arm64/konfig-lsp', source: 'bundled' },
  },
  {
    name: "another platform's bundled binary is not used",
    input: {},
    executables: ['/ext/bin/darwin-arm64/konfig-lsp', '/usr/bin/konfig-lsp'],
    want: { ok: true, path: '/usr/bin/konfig-lsp', source: 'path' },
  },
  {
    name: 'PATH is searched in order, skipping empty entries',
    input: { envPath: ':/a:/b' },
    executables: ['/b/konfig-lsp', '/a/konfig-lsp'],
    want: { ok: true, path: '/a/konfig-lsp', source: 'path' },
  },
  {
    name: 'nothing found: the message says how to fix it',
    input: {},
    executables: [],
    want: { ok: false, messageIncludes: ['not found', 'linux-x64', 'go install', 'konfig-lsp.server.path'] },
  },
];

for (const c of cases) {
  test(`resolveServer: ${c.name}`, () => {
    const set = new Set(c.executables);
    const got = resolveServer({ ...base, ...c.input, isExecutable: (p) => set.has(p) });
    if ('messageIncludes' in c.want) {
      assert.equal(got.ok, false, JSON.stringify(got));
      for (const s of c.want.messageIncludes) {
        assert.ok(!got.ok && got.message.includes(s), `message ${JSON.stringify(got)} lacks ${s}`);
      }
    } else {
      assert.deepEqual(got, c.want);
    }
  });
}

test('resolveServer: windows names the .exe and splits PATH on ;', () => {
  const got = resolveServer({
    ...base,
    platform: 'win32',
    envPath: 'C:\\tools;C:\\go\\bin',
    isExecutable: (p) => p.endsWith('konfig-lsp.exe') && p.includes('go'),
  });
  assert.equal(got.ok, true);
  assert.ok(got.ok && got.path.endsWith('konfig-lsp.exe') && got.source === 'path', JSON.stringify(got));
});
