import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  configurationAnswers,
  currentContext,
  initializationOptions,
  InitializationOptions,
  kubeconfigPath,
  resolveKubeconfig,
  SERVER_SECTION,
  SERVER_SETTINGS,
  Settings,
} from '../src/lib/settings';
import { DERIVED_SETTINGS, withTrust } from '../src/lib/trust';

const cases: { name: string; settings: Settings; want: InitializationOptions }[] = [
  {
    name: 'defaults send nothing',
    settings: { kubeconfig: '', context: '', debounceMs: null, stacks: [], disableApply: false, excludeTypes: [] },
    want: {},
  },
  {
    name: 'every setting',
    settings: {
      kubeconfig: '/k/config',
      context: 'kind-dev',
      debounceMs: 150,
      stacks: ['appops/shop/dev'],
      disableApply: true,
      excludeTypes: ['Terraform'],
    },
    want: {
      kubeconfig: '/k/config',
      context: 'kind-dev',
      debounceMs: 150,
      stacks: ['appops/shop/dev'],
      disableApply: true,
      excludeTypes: ['Terraform'],
    },
  },
  { name: 'blank and repeated sensitive attributes are dropped', settings: { sensitiveAttributes: [' ssn ', '', 'ssn', 'pin'] }, want: { sensitiveAttributes: ['ssn', 'pin'] } },
  { name: 'blank and repeated excluded types are dropped', settings: { excludeTypes: [' Terraform ', '', 'Terraform', 'Foo'] }, want: { excludeTypes: ['Terraform', 'Foo'] } },
  { name: 'a relative kubeconfig is relative to the workspace', settings: { kubeconfig: 'k8s/config' }, want: { kubeconfig: '/ws/k8s/config' } },
  { name: './ in a relative kubeconfig', settings: { kubeconfig: './kubeconfig' }, want: { kubeconfig: '/ws/kubeconfig' } },
  { name: 'an absolute kubeconfig stays', settings: { kubeconfig: ' /etc/kube/config ' }, want: { kubeconfig: '/etc/kube/config' } },
  { name: 'debounce 0 is kept', settings: { debounceMs: 0 }, want: { debounceMs: 0 } },
  { name: 'a negative debounce is dropped', settings: { debounceMs: -5 }, want: {} },
  { name: 'a fractional debounce is rounded', settings: { debounceMs: 99.6 }, want: { debounceMs: 100 } },
  { name: 'blank stacks are dropped', settings: { stacks: [' ', 'a/b ', ''] }, want: { stacks: ['a/b'] } },
  { name: '~ in kubeconfig is home', settings: { kubeconfig: '~/.kube/other' }, want: { kubeconfig: '/home/dev/.kube/other' } },
  { name: 'spaces around the context are trimmed', settings: { context: ' prod ' }, want: { context: 'prod' } },
  { name: 'budgets are passed on, rounded', settings: { evalTimeoutMs: 2500.4, maxFileSize: 1000000, maxMemory: 67108864.2, cacheMemoryMiB: 128 }, want: { evalTimeoutMs: 2500, maxFileSize: 1000000, maxMemory: 67108864, cacheMemoryMiB: 128 } },
  { name: 'unset or non-positive budgets are left to the server', settings: { evalTimeoutMs: 0, maxFileSize: null, maxMemory: -1 }, want: {} },
];

for (const c of cases) {
  test(`initializationOptions: ${c.name}`, () => {
    assert.deepEqual(initializationOptions(c.settings, '/home/dev', '/ws'), c.want);
  });
}

test('initializationOptions: the JSON the server reads', () => {
  const o = initializationOptions({ debounceMs: 10, disableApply: true }, '/h');
  assert.equal(JSON.stringify(o), '{"debounceMs":10,"disableApply":true}');
});

test('kubeconfigPath: setting, then $KUBECONFIG (first entry), then ~/.kube/config', () => {
  assert.equal(kubeconfigPath('/s', '/e1:/e2', '/h', 'linux'), '/s');
  assert.equal(kubeconfigPath('~/x', undefined, '/h', 'linux'), '/h/x');
  assert.equal(kubeconfigPath('', ':/e1:/e2', '/h', 'linux'), '/e1');
  assert.equal(kubeconfigPath(undefined, 'C:\\a;C:\\b', '/h', 'win32'), 'C:\\a');
  assert.equal(kubeconfigPath('', '', '/h', 'linux'), '/h/.kube/config');
});

test('currentContext: reads the top-level key', () => {
  const kc = [
    'apiVersion: v1',
    'clusters: []',
    'contexts:',
    '- name: a',
    '  context: {cluster: c, user: u}',
    'current-context: "kind-dev"',
    'kind: Config',
  ].join('\n');
  assert.equal(currentContext(kc), 'kind-dev');
  assert.equal(currentContext('current-context: prod\r\n'), 'prod');
  assert.equal(currentContext("current-context: 'x y'"), 'x y');
  assert.equal(currentContext('kind: Config\n'), '');
  assert.equal(currentContext('  current-context: nested\n'), '', 'only the top-level key counts');
});

test('resolveKubeconfig: home, workspace-relative, absolute, none', () => {
  assert.equal(resolveKubeconfig('~', '/h', '/ws'), '/h');
  assert.equal(resolveKubeconfig('~/.kube/x', '/h', '/ws/'), '/h/.kube/x');
  assert.equal(resolveKubeconfig('kc', '/h', '/ws/'), '/ws/kc');
  assert.equal(resolveKubeconfig('kc', '/h', undefined), 'kc', 'without a workspace the server resolves it');
  assert.equal(resolveKubeconfig('C:\\k\\config', '/h', '/ws'), 'C:\\k\\config');
  assert.equal(resolveKubeconfig('  ', '/h', '/ws'), '');
});

test('kubeconfigPath: a relative setting is read from the workspace (status bar)', () => {
  assert.equal(kubeconfigPath('dev/kubeconfig', '/e', '/h', 'linux', '/ws'), '/ws/dev/kubeconfig');
});

test('configurationAnswers: the konfig section is the server settings, others VS Code\'s', () => {
  const server: InitializationOptions = { context: 'dev', excludeTypes: ['Terraform'] };
  const got = configurationAnswers([{ section: SERVER_SECTION }, { section: 'editor' }, {}], [null, { tabSize: 2 }, { all: true }], server);
  assert.deepEqual(got, [server, { tabSize: 2 }, { all: true }]);
});

// The server's settings: the JSON names of initOptions in
// internal/lsp/lifecycle.go. The test runs in the repository, or in a copy of
// editors/vscode with KONFIG_REPO_ROOT naming the repository
// (hack/setup.d/30-vscode.sh).
const repo = process.env.KONFIG_REPO_ROOT || path.resolve(__dirname, '..', '..', '..', '..');
const extRoot = path.resolve(__dirname, '..', '..');

function serverSettingNames(): string[] {
  const file = path.join(repo, 'internal', 'lsp', 'lifecycle.go');
  const src = fs.readFileSync(file, 'utf8');
  const m = /type initOptions struct \{([\s\S]*?)\n\}/.exec(src);
  assert.ok(m, `no initOptions struct in ${file}`);
  const out = [...m[1].matchAll(/json:"([A-Za-z0-9_]+)/g)].map((x) => x[1]);
  assert.ok(out.length > 0, 'initOptions has no JSON fields');
  return out;
}

test('SERVER_SETTINGS and DERIVED_SETTINGS are the server\'s settings', () => {
  assert.deepEqual([...SERVER_SETTINGS, ...DERIVED_SETTINGS].sort(), serverSettingNames().sort());
  assert.match(fs.readFileSync(path.join(repo, 'internal', 'lsp', 'config.go'), 'utf8'), new RegExp(`section := "${SERVER_SECTION}"`));
});

test('package.json contributes every server setting with a description, type and default', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(extRoot, 'package.json'), 'utf8'));
  const props: Record<string, { type?: string | string[]; default?: unknown; description?: string; markdownDescription?: string; items?: { type?: string } }> =
    pkg.contributes.configuration.properties;
  const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);
  for (const name of DERIVED_SETTINGS) {
    assert.equal(props[`konfig-lsp.${name}`], undefined, `konfig-lsp.${name} comes from VS Code's state: a setting would let a workspace's settings.json decide it`);
  }
  for (const name of SERVER_SETTINGS) {
    const p = props[`konfig-lsp.${name}`];
    assert.ok(p, `package.json does not contribute konfig-lsp.${name}`);
    assert.ok((p.description ?? p.markdownDescription ?? '').length > 20, `konfig-lsp.${name} has no description`);
    const types = Array.isArray(p.type) ? p.type : [p.type];
    assert.ok(types.includes(typeOf(p.default)), `konfig-lsp.${name}: default ${JSON.stringify(p.default)} is not of type ${types}`);
    if (types.includes('array')) {
      assert.equal(p.items?.type, 'string', `konfig-lsp.${name}: items`);
    }
  }
  // Every setting contributed is read by the extension or the server.
  const client = ['server.path', 'server.extraArgs', 'trace.server'];
  for (const key of Object.keys(props)) {
    const name = key.replace(/^konfig-lsp\./, '');
    assert.ok(client.includes(name) || (SERVER_SETTINGS as readonly string[]).includes(name), `${key} is contributed but read by nobody`);
  }
});

test('every server setting, set, reaches the server', () => {
  // One non-default value per setting, as VS Code returns it.
  const set: Settings = {
    debounceMs: 7,
    stacks: ['a/b'],
    kubeconfig: '/k',
    context: 'c',
    disableApply: true,
    excludeTypes: ['Terraform'],
    sensitiveAttributes: ['ssn'],
    allowedEnv: ['HOME'],
    evalTimeoutMs: 3000,
    maxFileSize: 500000,
    maxMemory: 1048576,
    cacheMemoryMiB: 64,
  };
  const got = withTrust(initializationOptions(set, '/h', '/ws'), false);
  assert.deepEqual(Object.keys(got).sort(), serverSettingNames().sort());
});
