import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configurationAnswers, initializationOptions, SERVER_SECTION } from '../src/lib/settings';
import { needsTrust, RESTRICTED_SETTINGS, trustGrantAction, TrustGrantAction, withTrust } from '../src/lib/trust';

const extRoot = path.resolve(__dirname, '..', '..');

test('withTrust: trusted is always sent, true or false, next to the other settings', () => {
  const o = initializationOptions({ context: 'dev' }, '/h');
  assert.equal(JSON.stringify(withTrust(o, false)), '{"context":"dev","trusted":false}');
  assert.equal(JSON.stringify(withTrust(o, true)), '{"context":"dev","trusted":true}');
  assert.equal(JSON.stringify(withTrust({}, false)), '{"trusted":false}');
  assert.deepEqual(o, { context: 'dev' }, 'the settings given are not changed');
});

test('configurationAnswers: a workspace cannot trust itself through its konfig settings', () => {
  // What VS Code would answer for a `konfig` section written in the
  // workspace's .vscode/settings.json.
  const fromWorkspace = { trusted: true, kubeconfig: '/attacker/kubeconfig' };
  const got = configurationAnswers([{ section: SERVER_SECTION }], [fromWorkspace], withTrust({}, false));
  assert.deepEqual(got, [{ trusted: false }]);
});

const grants: { name: string; running?: string[]; now?: string[]; want: TrustGrantAction }[] = [
  { name: 'no server runs', now: ['/bin/konfig-lsp', 'serve'], want: 'start' },
  { name: 'no server runs and none is found', want: 'start' },
  { name: 'same command: tell the server', running: ['/bin/konfig-lsp', 'serve'], now: ['/bin/konfig-lsp', 'serve'], want: 'notify' },
  { name: "the workspace's server.path now applies", running: ['/bin/konfig-lsp', 'serve'], now: ['/ws/bin/konfig-lsp', 'serve'], want: 'restart' },
  { name: "the workspace's extraArgs now apply", running: ['/bin/konfig-lsp', 'serve'], now: ['/bin/konfig-lsp', 'serve', '--log-level', 'debug'], want: 'restart' },
  { name: 'the new binary is not found: keep the running server', running: ['/bin/konfig-lsp', 'serve'], want: 'notify' },
];

for (const g of grants) {
  test(`trustGrantAction: ${g.name}`, () => {
    assert.equal(trustGrantAction(g.running, g.now), g.want);
  });
}

test('package.json: limited support in untrusted workspaces, with the settings naming programs and files restricted', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(extRoot, 'package.json'), 'utf8'));
  const u = pkg.capabilities?.untrustedWorkspaces;
  assert.ok(u, 'no capabilities.untrustedWorkspaces');
  assert.equal(u.supported, 'limited');
  assert.match(u.description ?? '', /trusted workspace/);
  const props: Record<string, { scope?: string }> = pkg.contributes.configuration.properties;
  const restricted = RESTRICTED_SETTINGS.map((n) => `konfig-lsp.${n}`);
  assert.deepEqual([...u.restrictedConfigurations].sort(), [...restricted].sort());
  for (const key of restricted) {
    assert.ok(props[key], `${key} is restricted but not contributed`);
  }
  // A setting a workspace may override on this machine and that names a
  // program or file is restricted.
  for (const [key, p] of Object.entries(props)) {
    if (p.scope === 'machine-overridable') {
      assert.ok(restricted.includes(key), `${key} is machine-overridable but not restricted`);
    }
  }
});

test("needsTrust: the server's refusal, not other errors", () => {
  // The server's text (internal/lsp/trust.go: commandAllowed).
  const src = fs.readFileSync(path.join(process.env.KONFIG_REPO_ROOT || path.resolve(extRoot, '..', '..'), 'internal', 'lsp', 'trust.go'), 'utf8');
  assert.match(src, /errors\.New\("needs a trusted workspace"\)/);
  assert.match(src, /fmt\.Errorf\("%s %w: %s", command, errUntrusted, untrustedHelp\)/);
  assert.equal(needsTrust('konfig.preview needs a trusted workspace: konfig-lsp evaluates no KCL code'), true);
  assert.equal(needsTrust('konfig.destroy needs a trusted workspace: …'), true);
  assert.equal(needsTrust('konfig.preview: stack dev does not compile: needs a trusted workspace'), false);
  assert.equal(needsTrust('cluster (the current context of ~/.kube/config): connection refused'), false);
});
