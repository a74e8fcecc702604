// Checks of the TextMate grammar that need no VS Code: every rule's regex
// compiles, and the key rules match the KCL forms they are for.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const grammar = JSON.parse(fs.readFileSync(path.join(root, 'syntaxes', 'kcl.tmLanguage.json'), 'utf8'));

function regexes(node: unknown, at: string, out: [string, string][]): [string, string][] {
  if (Array.isArray(node)) {
    node.forEach((n, i) => regexes(n, `${at}[${i}]`, out));
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if ((k === 'match' || k === 'begin' || k === 'end') && typeof v === 'string') {
        out.push([`${at}.${k}`, v]);
      } else {
        regexes(v, `${at}.${k}`, out);
      }
    }
  }
  return out;
}

test('grammar: every regex compiles', () => {
  const all = regexes(grammar, '$', []);
  assert.ok(all.length > 40, `only ${all.length} regexes`);
  for (const [at, re] of all) {
    assert.doesNotThrow(() => new RegExp(re), `${at}: ${re}`);
  }
});

const rule = (name: string) => new RegExp(grammar.repository[name].match ?? grammar.repository[name].begin);

const cases: { rule: string; text: string; match: boolean; groups?: (string | undefined)[] }[] = [
  { rule: 'schema-head', text: 'schema Server(base.App):', match: true, groups: ['schema', 'Server'] },
  { rule: 'schema-head', text: '    mixin NameMixin for NameProtocol:', match: true, groups: ['mixin', 'NameMixin'] },
  { rule: 'schema-head', text: 'protocol NameProtocol:', match: true, groups: ['protocol', 'NameProtocol'] },
  { rule: 'schema-head', text: 'schemas = 1', match: false },
  { rule: 'rule-head', text: 'rule SomeRule for P:', match: true, groups: ['rule', 'SomeRule'] },
  { rule: 'decorator', text: '    @deprecated(version="1.16")', match: true, groups: ['@', 'deprecated'] },
  { rule: 'import', text: 'import models.frontend as fe', match: true, groups: ['import', 'models.frontend', 'as', 'fe'] },
  { rule: 'comment', text: 'x = 1  # a comment', match: true },
  { rule: 'interpolation', text: '"${name}-svc"', match: true },
  { rule: 'string-triple-double', text: '"""doc"""', match: true },
  { rule: 'string-raw-double', text: 'r"C:\\path"', match: true },
  { rule: 'type-alias', text: 'type Engine = "MySQL" | "PostgreSQL"', match: true, groups: ['type', 'Engine'] },
];

for (const c of cases) {
  test(`grammar: ${c.rule} on ${c.text}`, () => {
    const m = rule(c.rule).exec(c.text);
    assert.equal(m !== null, c.match, `${c.rule} on ${c.text}`);
    if (c.groups && m) {
      assert.deepEqual(m.slice(1, 1 + c.groups.length), c.groups);
    }
  });
}

test('grammar: numbers with unit suffixes', () => {
  const unit = grammar.repository.number.patterns.find((p: { captures?: Record<string, { name: string }> }) => p.captures?.['2']?.name === 'keyword.other.unit.kcl');
  const re = new RegExp(unit.match);
  for (const [text, n, u] of [['512Mi', '512', 'Mi'], ['1Gi', '1', 'Gi'], ['100m', '100', 'm'], ['2K', '2', 'K'], ['3P', '3', 'P']]) {
    const m = re.exec(text);
    assert.ok(m, text);
    assert.deepEqual([m![1], m![2]], [n, u]);
  }
  assert.equal(re.exec('512x'), null);
});
