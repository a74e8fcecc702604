import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  clientCommandOf,
  diffDocPath,
  findStackDir,
  modalMessage,
  parseCommandResult,
  renderResult,
  RESULT_SCHEME,
  ServerCommand,
  slug,
  stackLabel,
  statusText,
} from '../src/lib/render';

// Tests run from out/test; the data lives in test/testdata.
const testdata = path.resolve(__dirname, '..', '..', 'test', 'testdata');
const update = process.env.UPDATE === '1';

interface RenderCase {
  name: string;
  command: ServerCommand;
  raw: unknown;
}

test('renderResult: golden (UPDATE=1 npm test rewrites it)', () => {
  const cases: RenderCase[] = JSON.parse(fs.readFileSync(path.join(testdata, 'render-cases.json'), 'utf8'));
  const got: Record<string, unknown> = {};
  for (const c of cases) {
    try {
      got[c.name] = renderResult(c.command, parseCommandResult(c.raw));
    } catch (err) {
      got[c.name] = { error: (err as Error).message };
    }
  }
  const goldenPath = path.join(testdata, 'render.golden.json');
  const text = JSON.stringify(got, null, 2) + '\n';
  if (update) {
    fs.writeFileSync(goldenPath, text);
  }
  assert.deepEqual(JSON.parse(text), JSON.parse(fs.readFileSync(goldenPath, 'utf8')));
});

test('clientCommandOf: server lens commands map to client commands', () => {
  assert.equal(clientCommandOf('konfig.preview'), 'konfig-lsp.preview');
  assert.equal(clientCommandOf('konfig.diff'), 'konfig-lsp.diff');
  assert.equal(clientCommandOf('konfig.apply'), 'konfig-lsp.apply');
  assert.equal(clientCommandOf('konfig.destroy'), 'konfig-lsp.destroy');
  assert.equal(clientCommandOf('konfig.checkAffected'), 'konfig-lsp.checkAffected');
  assert.equal(clientCommandOf('editor.action.showReferences'), undefined);
});

test('modalMessage: first line is the message, the table the detail, Cancel closes', () => {
  const m = modalMessage('Apply stack shop/dev?\nStack shop/dev\n+ create a\n\n', [{ title: 'Apply' }, { title: 'Cancel' }]);
  assert.deepEqual(m, {
    message: 'Apply stack shop/dev?',
    detail: 'Stack shop/dev\n+ create a',
    items: [
      { title: 'Apply', isCloseAffordance: false, action: { title: 'Apply' } },
      { title: 'Cancel', isCloseAffordance: true, action: { title: 'Cancel' } },
    ],
  });
  assert.deepEqual(modalMessage('Sure?', null), { message: 'Sure?', items: [] });
});

test('slug: keeps file names tidy', () => {
  assert.equal(slug('Resources of shop/dev (2)'), 'Resources-of-shop-dev-2');
  assert.equal(slug('///'), 'konfig');
});

test('stackLabel and statusText', () => {
  assert.equal(stackLabel('/w/examples/shop/dev'), 'shop/dev');
  assert.deepEqual(statusText('/w/examples/shop/dev', 'kind-dev'), {
    text: '$(layers) shop/dev $(cloud) kind-dev',
    tooltip: 'Konfig stack: /w/examples/shop/dev\nCluster context: kind-dev',
  });
  assert.equal(statusText('', '').text, '$(layers) no stack $(cloud) no context');
});

test('findStackDir: nearest stack.yaml, not above the workspace root', () => {
  const files = new Set(['/w/examples/shop/dev/stack.yaml', '/stack.yaml']);
  const exists = (p: string) => files.has(p);
  assert.equal(findStackDir('/w/examples/shop/dev/main.k', '/w', exists), '/w/examples/shop/dev');
  assert.equal(findStackDir('/w/examples/shop/dev/sub/x.k', '/w', exists), '/w/examples/shop/dev');
  assert.equal(findStackDir('/w/examples/models/frontend/server.k', '/w', exists), '');
  assert.equal(findStackDir('/w/examples/models/frontend/server.k', undefined, exists), '/');
});

test('renderResult: a second preview or diff of a stack goes to the same document, another stack to its own', () => {
  const r = (command: ServerCommand, stack: string, title: string) => renderResult(command, { stack, title, text: '' }).docPath;
  assert.equal(r('konfig.preview', '/w/shop/dev', 'Resources of shop/dev (2)'), r('konfig.preview', '/w/shop/dev', 'Resources of shop/dev (5)'));
  assert.notEqual(r('konfig.preview', '/w/shop/dev', 'Resources of shop/dev (2)'), r('konfig.preview', '/w/blog/dev', 'Resources of blog/dev (2)'));
  assert.equal(r('konfig.diff', '/w/shop/dev', 'Diff of shop/dev'), r('konfig.diff', '/w/shop/dev', 'Diff of shop/dev'));
  assert.equal(renderResult('konfig.apply', { stack: '/w/shop/dev', title: 'Apply shop/dev', text: 'TABLE', summary: 'nothing to do' }).docPath, undefined);
});

test('package.json: the stack commands are offered in result documents too (Apply from a diff)', () => {
  const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', 'package.json'), 'utf8'));
  const menus: Record<string, { command: string; when?: string }[]> = pkg.contributes.menus;
  let n = 0;
  for (const [menu, items] of Object.entries(menus)) {
    for (const it of items) {
      // The stack commands; konfig.checkAffected acts on a model file.
      const server = it.command.replace(/^konfig-lsp\./, 'konfig.');
      if (clientCommandOf(server) && server !== 'konfig.checkAffected') {
        assert.match(it.when ?? '', new RegExp(`resourceScheme == ${RESULT_SCHEME}`), `${menu} ${it.command}: ${it.when}`);
        n++;
      }
    }
  }
  assert.ok(n >= 4, `only ${n} menu entries of stack commands`);
});

test('diffDocPath: the document renderResult gives a diff of the stack', () => {
  for (const stack of ['/w/examples/shop/dev', '/w/s']) {
    assert.equal(diffDocPath(stack), renderResult('konfig.diff', { stack, title: 'Diff of whatever', text: 'x' }).docPath);
  }
  assert.equal(diffDocPath(''), undefined);
});
