// The in-extension self test of the end-to-end run (hack/vscode-e2e.sh):
// when KONFIG_LSP_SELFTEST_OUT is set, the extension opens a stack's main.k,
// exercises the server through VS Code's own provider commands and writes
// what it saw as JSON. The browser side then checks the rendered UI.

import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { KonfigExtension } from './extension';
import { renderResult, RESULT_SCHEME } from './lib/render';

interface Report {
  ok: boolean;
  failures: string[];
  serverInfo?: unknown;
  languageId?: string;
  /** Where the completion was asked (0-based): the browser repeats it. */
  completionAt?: { line: number; character: number };
  instanceLine?: number;
  completion?: string[];
  hover?: string;
  diagnostics?: { line: number; message: string; severity: string }[];
  policyDiagnostic?: { line: number; message: string };
  codeLenses?: { title: string; command: string }[];
  preview?: { title: string; head: string };
  /** What a command run in the shown preview document acts on (its stack directory). */
  resultTarget?: string;
  symbols?: string[];
  steps: { step: string; ms: number }[];
}

/** Polls f until it returns a value, or the deadline passes. */
async function until<T>(what: string, timeoutMs: number, f: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await f();
      if (v !== undefined) {
        return v;
      }
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

function hoverText(hovers: vscode.Hover[] | undefined): string {
  const parts: string[] = [];
  for (const h of hovers ?? []) {
    for (const c of h.contents) {
      parts.push(typeof c === 'string' ? c : 'value' in c ? c.value : String(c));
    }
  }
  return parts.join('\n');
}

function lineOf(doc: vscode.TextDocument, re: RegExp): number {
  for (let i = 0; i < doc.lineCount; i++) {
    if (re.test(doc.lineAt(i).text)) {
      return i;
    }
  }
  throw new Error(`no line matches ${re} in ${doc.uri.fsPath}`);
}

export async function runSelfTest(ext: KonfigExtension, out: string, rel: string): Promise<void> {
  const t0 = Date.now();
  const report: Report = { ok: false, failures: [], steps: [] };
  const step = async <T>(name: string, f: () => Promise<T>): Promise<T | undefined> => {
    try {
      const v = await f();
      report.steps.push({ step: name, ms: Date.now() - t0 });
      return v;
    } catch (err) {
      report.failures.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  };
  try {
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (!folder) {
      throw new Error('no workspace folder is open');
    }
    const uri = vscode.Uri.joinPath(folder.uri, rel);
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    report.languageId = doc.languageId;
    report.serverInfo = ext.client?.initializeResult?.serverInfo;
    if (doc.languageId !== 'kcl') {
      report.failures.push(`language of ${rel} is ${doc.languageId}, want kcl`);
    }

    // Completion on a new line inside the `Server {` block.
    const imageLine = lineOf(doc, /^\s+image\s*=/);
    const indent = /^\s*/.exec(doc.lineAt(imageLine).text)![0];
    await editor.edit((b) => b.insert(doc.lineAt(imageLine).range.end, '\n' + indent));
    const at = new vscode.Position(imageLine + 1, indent.length);
    report.completionAt = { line: at.line, character: at.character };
    report.completion = await step('completion', () =>
      until('completion with replicas', 30000, async () => {
        const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, at);
        const labels = list.items.map((i) => (typeof i.label === 'string' ? i.label : i.label.label));
        return labels.includes('replicas') ? labels : undefined;
      }),
    );

    // Hover preview on the front-end instance.
    const instLine = lineOf(doc, /^\w+\s*:\s*frontend\.Server\s*\{/);
    report.instanceLine = instLine;
    report.hover = await step('hover', () =>
      until('hover preview with a Deployment', 30000, async () => {
        const h = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, new vscode.Position(instLine, 2)));
        return h.includes('Deployment') ? h : undefined;
      }),
    );

    report.symbols = await step('symbols', async () => {
      const syms = await vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[]>('vscode.executeDocumentSymbolProvider', doc.uri);
      return (syms ?? []).map((s) => s.name);
    });

    report.codeLenses = await step('code lenses', async () => {
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 10);
      const l = (lenses ?? []).filter((x) => x.command).map((x) => ({ title: x.command!.title, command: x.command!.command }));
      if (!l.some((x) => x.command === 'konfig-lsp.preview')) {
        throw new Error(`no "Preview resources" lens on konfig-lsp.preview: ${JSON.stringify(l)}`);
      }
      return l;
    });

    report.preview = await step('preview command', async () => {
      const r = await ext.execute('konfig.preview', doc.uri.toString());
      const content = renderResult('konfig.preview', r).content ?? '';
      if (!/kind: Deployment/.test(content)) {
        throw new Error(`preview has no Deployment: ${content.slice(0, 300)}`);
      }
      return { title: r.title, head: content.split('\n').slice(0, 6).join('\n') };
    });

    // A result document stands for its stack: a command run there (Apply
    // from a diff) acts on the stack it shows. The document is closed again
    // so that the browser's code lens check opens it itself.
    report.resultTarget = await step('result document target', async () => {
      await ext.run('konfig.preview', doc.uri.toString());
      const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.scheme === RESULT_SCHEME);
      if (!shown) {
        throw new Error('the preview document is not shown');
      }
      await vscode.window.showTextDocument(shown.document, { viewColumn: shown.viewColumn, preserveFocus: false });
      const target = ext.target(undefined);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      await vscode.window.showTextDocument(doc, { preview: false, preserveFocus: false });
      const want = path.dirname(doc.uri.fsPath);
      if (target !== want) {
        throw new Error(`a command in ${shown.document.uri.toString()} acts on ${target}, want ${want}`);
      }
      return target;
    });

    // An edit that breaks a policy: the latest tag.
    const imgText = doc.lineAt(imageLine).text;
    const m = /"([^"]*)"/.exec(imgText);
    if (!m) {
      throw new Error(`no image string on line ${imageLine + 1}: ${imgText}`);
    }
    const start = imgText.indexOf(m[1]);
    const tagged = m[1].replace(/:[^:/]*$/, '') + ':latest';
    await editor.edit((b) => b.replace(new vscode.Range(imageLine, start, imageLine, start + m[1].length), tagged));
    report.policyDiagnostic = await step('policy diagnostic', () =>
      until('the latest-tag diagnostic', 60000, async () => {
        const d = vscode.languages.getDiagnostics(doc.uri).find((x) => /latest tag is not allowed/.test(x.message));
        return d ? { line: d.range.start.line, message: d.message } : undefined;
      }),
    );
    if (report.policyDiagnostic && report.policyDiagnostic.line !== imageLine) {
      report.failures.push(`policy diagnostic on line ${report.policyDiagnostic.line + 1}, want the edited line ${imageLine + 1}`);
    }
    report.diagnostics = vscode.languages.getDiagnostics(doc.uri).map((d) => ({
      line: d.range.start.line,
      message: d.message,
      severity: vscode.DiagnosticSeverity[d.severity],
    }));

    // Leave the cursor on the blank line in the block for the browser's
    // Ctrl+Space.
    editor.selection = new vscode.Selection(at, at);
    editor.revealRange(new vscode.Range(at, at));
    await vscode.window.showTextDocument(doc, { preview: false, preserveFocus: false });
  } catch (err) {
    report.failures.push(err instanceof Error ? err.message : String(err));
  }
  report.ok = report.failures.length === 0;
  fs.writeFileSync(out, JSON.stringify(report, null, 2));
}
