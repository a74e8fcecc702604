// The browser half of hack/vscode-e2e.sh: drives code-server in headless
// Chromium with playwright-core, waits for the extension's self test
// (selftest.json), then checks what a person sees: the completion list in
// the `Server {` block, the hover preview, the policy squiggle and the
// status bar. Screenshots go to the output directory.
//
//   node drive.mjs <url> <selftest.json> <outdir>
//
// Exit status 0 only when every check passes.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// playwright-core lives in the e2e cache (hack/vscode-e2e.sh sets NODE_PATH,
// which ES modules ignore, so resolve it from there by hand).
const require = createRequire(join(process.env.NODE_PATH || process.cwd(), 'noop.js'));
const { chromium } = require('playwright-core');

const [url, selftestPath, outDir] = process.argv.slice(2);
if (!url || !selftestPath || !outDir) {
  console.error('usage: node drive.mjs <url> <selftest.json> <outdir>');
  process.exit(2);
}
const t0 = Date.now();
const log = (...a) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1)}s]`, ...a);
const checks = [];
const check = (name, ok, detail) => {
  checks.push({ name, ok, detail });
  log(ok ? 'ok  ' : 'FAIL', name, detail === undefined ? '' : typeof detail === 'string' ? detail : JSON.stringify(detail));
};

async function waitForFile(p, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(p)) {
    if (Date.now() > deadline) {
      return false;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return true;
}

const executablePath = ['/usr/lib/chromium/chromium', '/usr/bin/chromium'].find((p) => existsSync(p));
const browser = await chromium.launch({
  executablePath,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
let exitCode = 1;
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => log('page error:', e.message));
  await page.goto(url, { waitUntil: 'domcontentloaded', timeout: 60000 });
  await page.waitForSelector('.monaco-workbench', { timeout: 120000 });
  log('workbench loaded');

  // Layer 1: the extension's self test.
  const wrote = await waitForFile(selftestPath, 240000);
  check('self test wrote its report', wrote, selftestPath);
  const st = wrote ? JSON.parse(readFileSync(selftestPath, 'utf8')) : { ok: false, failures: ['no report'] };
  check('self test passed', st.ok === true, st.ok ? st.steps : st.failures);
  check('language of main.k is kcl', st.languageId === 'kcl', st.languageId);
  check('server completion lists replicas', (st.completion ?? []).includes('replicas'), (st.completion ?? []).slice(0, 12));
  check('server hover preview shows a Deployment', /Deployment/.test(st.hover ?? ''), (st.hover ?? '').slice(0, 120));
  check('policy diagnostic after the edit', /latest tag is not allowed/.test(st.policyDiagnostic?.message ?? ''), st.policyDiagnostic);
  check('code lens Preview resources', (st.codeLenses ?? []).some((l) => l.title === 'Preview resources'), st.codeLenses);

  // Layer 2: the UI.
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.waitFor({ timeout: 30000 });
  const squiggle = page.locator('.monaco-editor .squiggly-error, .monaco-editor .squiggly-warning').first();
  const squiggleShown = await squiggle.waitFor({ timeout: 30000 }).then(() => true, () => false);
  check('policy squiggle is drawn', squiggleShown);

  const goTo = async (line, col) => {
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+g');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor({ timeout: 10000 });
    await input.fill(`:${line}:${col}`);
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget').waitFor({ state: 'hidden', timeout: 10000 }).catch(() => {});
  };

  if (st.completionAt) {
    // Focus the editor by a click below the text (the top rows hold the
    // code lenses, which would run a command).
    await editor.click({ position: { x: 300, y: 500 } }).catch(() => {});
    await goTo(st.completionAt.line + 1, st.completionAt.character + 1);
    await page.keyboard.press('Control+Space');
    const rows = page.locator('.suggest-widget.visible .monaco-list-row');
    const listed = await page
      .waitForFunction(
        () =>
          [...document.querySelectorAll('.suggest-widget.visible .monaco-list-row .label-name')].some(
            (l) => (l.textContent ?? '').trim() === 'replicas',
          ),
        null,
        { timeout: 30000 },
      )
      .then(() => true, () => false);
    const labels = (await rows.allTextContents()).map((s) => s.trim());
    check('suggest widget lists replicas', listed, labels.slice(0, 10));
    await page.screenshot({ path: join(outDir, 'suggest.png') });
    log('screenshot', join(outDir, 'suggest.png'));
    await page.keyboard.press('Escape');
    // Undo the self test's policy edit: the diagnostic must go, and the
    // stack compiles again for the hover preview.
    await page.keyboard.press('Control+z');
    const cleared = await page
      .waitForFunction(() => document.querySelectorAll('.monaco-editor .squiggly-error').length === 0, null, { timeout: 30000 })
      .then(() => true, () => false);
    check('policy squiggle clears after undo', cleared);
  } else {
    check('suggest widget lists replicas', false, 'the self test gave no position');
  }

  if (st.instanceLine !== undefined) {
    await goTo(st.instanceLine + 1, 3);
    await page.keyboard.press('Control+k');
    await page.keyboard.press('Control+i');
    const shown = await page
      .waitForFunction(
        () => [...document.querySelectorAll('.monaco-hover')].some((h) => /Deployment/.test(h.textContent ?? '')),
        null,
        { timeout: 30000 },
      )
      .then(() => true, () => false);
    const text = (await page.locator('.monaco-hover').allTextContents()).join(' ').replace(/\s+/g, ' ');
    check('hover preview shows a Deployment', shown, text.slice(0, 160));
    // Code blocks in hovers are tokenized after they appear: let them settle
    // for the screenshot (not a check).
    await page.waitForSelector('.monaco-hover .monaco-tokenized-source', { timeout: 5000 }).catch(() => {});
    await page.screenshot({ path: join(outDir, 'hover.png') });
    await page.keyboard.press('Escape');
  } else {
    check('hover preview shows a Deployment', false, 'the self test gave no position');
  }

  // The "Preview resources" code lens opens a read-only YAML document.
  await page.locator('.codelens-decoration a', { hasText: 'Preview resources' }).first().click();
  const previewTab = await page
    .waitForFunction(
      () => [...document.querySelectorAll('.tab .label-name')].some((t) => /^Resources-of-/.test((t.textContent ?? '').trim())),
      null,
      { timeout: 30000 },
    )
    .then(() => true, () => false);
  const previewShows = await page
    .waitForFunction(() => [...document.querySelectorAll('.editor-instance .view-lines')].some((v) => /# Resources of shop\/dev[\s\S]*kind:\s*Namespace/.test((v.textContent ?? '').replace(/\u00a0/g, ' '))), null, {
      timeout: 15000,
    })
    .then(() => true, () => false);
  const tabs = (await page.locator('.tab .label-name').allTextContents()).map((s) => s.trim());
  check('code lens opens the read-only YAML preview', previewTab && previewShows, tabs);
  await page.screenshot({ path: join(outDir, 'preview.png') });

  const statusTexts = (await page.locator('.statusbar-item').allTextContents()).map((s) => s.trim()).filter(Boolean);
  check('status bar shows the stack', statusTexts.some((s) => s.includes('shop/dev')), statusTexts);
  check('status bar shows the KCL language mode', statusTexts.includes('KCL'), undefined);

  exitCode = checks.every((c) => c.ok) ? 0 : 1;
} catch (err) {
  check('driver', false, err instanceof Error ? err.stack : String(err));
} finally {
  writeFileSync(join(outDir, 'checks.json'), JSON.stringify(checks, null, 2));
  await browser.close();
}
const failed = checks.filter((c) => !c.ok).length;
console.log(`${checks.length - failed} passed, ${failed} failed`);
log(exitCode === 0 ? 'PASS' : 'FAIL');
process.exit(exitCode);
