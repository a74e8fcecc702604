import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { currentContext, initializationOptions, InitializationOptions, kubeconfigPath, Settings } from '../src/lib/settings';

const cases: { name: string; settings: Settings; want: InitializationOptions }[] = [
  { name: 'defaults send nothing', settings: { kubeconfig: '', context: '', debounceMs: null, stacks: [], disableApply: false }, want: {} },
  {
    name: 'every setting',
    settings: { kubeconfig: '/k/config', context: 'kind-dev', debounceMs: 150, stacks: ['appops/shop/dev'], disableApply: true },
    want: { kubeconfig: '/k/config', context: 'kind-dev', debounceMs: 150, stacks: ['appops/shop/dev'], disableApply: true },
  },
  { name: 'debounce 0 is kept', settings: { debounceMs: 0 }, want: { debounceMs: 0 } },
  { name: 'a negative debounce is dropped', settings: { debounceMs: -5 }, want: {} },
  { name: 'a fractional debounce is rounded', settings: { debounceMs: 99.6 }, want: { debounceMs: 100 } },
  { name: 'blank stacks are dropped', settings: { stacks: [' ', 'a/b ', ''] }, want: { stacks: ['a/b'] } },
  { name: '~ in kubeconfig is home', settings: { kubeconfig: '~/.kube/other' }, want: { kubeconfig: '/home/dev/.kube/other' } },
  { name: 'spaces around the context are trimmed', settings: { context: ' prod ' }, want: { context: 'prod' } },
];

for (const c of cases) {
  test(`initializationOptions: ${c.name}`, () => {
    assert.deepEqual(initializationOptions(c.settings, '/home/dev'), c.want);
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
