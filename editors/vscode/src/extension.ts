// The Konfig (KCL) extension: a thin client of the konfig-lsp language
// server. Every language feature comes from the server; this file starts it,
// turns its commands into VS Code commands, documents and dialogs, and shows
// the active stack and cluster context in the status bar.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  ShowMessageRequest,
  ShowMessageRequestParams,
  MessageActionItem,
  MessageType,
} from 'vscode-languageclient/node';
import { resolveServer } from './lib/server';
import {
  configurationAnswers,
  currentContext,
  initializationOptions,
  InitializationOptions,
  kubeconfigPath,
  SERVER_SECTION,
  SERVER_SETTINGS,
  Settings,
} from './lib/settings';
import {
  clientCommandOf,
  diffDocPath,
  findStackDir,
  modalMessage,
  parseCommandResult,
  renderResult,
  RESULT_SCHEME,
  ServerCommand,
  statusText,
} from './lib/render';
import { needsTrust, trustGrantAction, withTrust } from './lib/trust';
import { runSelfTest } from './selftest';

const SECTION = 'konfig-lsp';

function isExecutable(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) {
      return false;
    }
    if (process.platform !== 'win32') {
      fs.accessSync(p, fs.constants.X_OK);
    }
    return true;
  } catch {
    return false;
  }
}

/** Read-only documents that show command results, and the stack each shows. */
class ResultDocuments implements vscode.TextDocumentContentProvider {
  private readonly docs = new Map<string, string>();
  private readonly stacks = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.docs.get(uri.toString()) ?? '';
  }

  set(uri: vscode.Uri, content: string, stack: string): void {
    this.docs.set(uri.toString(), content);
    if (stack !== '') {
      this.stacks.set(uri.toString(), stack);
    }
    this.changed.fire(uri);
  }

  /** The stack directory a result document shows. */
  stackOf(uri: vscode.Uri): string | undefined {
    return this.stacks.get(uri.toString());
  }

  dispose(): void {
    this.changed.dispose();
  }
}

/** The extension's state: one per activation. */
export class KonfigExtension implements vscode.Disposable {
  client: LanguageClient | undefined;
  private starting: Promise<LanguageClient | undefined> | undefined;
  readonly output: vscode.LogOutputChannel;
  private readonly trace: vscode.LogOutputChannel;
  private readonly status: vscode.StatusBarItem;
  private readonly results = new ResultDocuments();
  private readonly disposables: vscode.Disposable[] = [];
  /** The command line of the running server (undefined when none runs). */
  private running: string[] | undefined;

  constructor(private readonly context: vscode.ExtensionContext) {
    this.output = vscode.window.createOutputChannel('Konfig Language Server', { log: true });
    this.trace = vscode.window.createOutputChannel('Konfig Language Server (trace)', { log: true });
    this.status = vscode.window.createStatusBarItem('konfig-lsp.status', vscode.StatusBarAlignment.Left, 50);
    this.status.name = 'Konfig stack';
    this.status.command = 'konfig-lsp.showOutput';
    this.disposables.push(
      this.output,
      this.trace,
      this.status,
      this.results,
      vscode.workspace.registerTextDocumentContentProvider(RESULT_SCHEME, this.results),
    );
  }

  settings(): Settings & { serverPath: string; extraArgs: string[] } {
    const c = vscode.workspace.getConfiguration(SECTION);
    return {
      serverPath: c.get<string>('server.path', ''),
      extraArgs: c.get<string[]>('server.extraArgs', []),
      kubeconfig: c.get<string>('kubeconfig', ''),
      context: c.get<string>('context', ''),
      debounceMs: c.get<number | null>('debounceMs', null),
      stacks: c.get<string[]>('stacks', []),
      disableApply: c.get<boolean>('disableApply', false),
      excludeTypes: c.get<string[]>('excludeTypes', []),
      sensitiveAttributes: c.get<string[]>('sensitiveAttributes', []),
      allowedEnv: c.get<string[]>('allowedEnv', []),
      evalTimeoutMs: c.get<number | null>('evalTimeoutMs', null),
      maxFileSize: c.get<number | null>('maxFileSize', null),
      maxMemory: c.get<number | null>('maxMemory', null),
    };
  }

  /** The first workspace folder: the server resolves relative paths against it. */
  private workspaceRoot(): string | undefined {
    const f = vscode.workspace.workspaceFolders?.[0];
    return f && f.uri.scheme === 'file' ? f.uri.fsPath : undefined;
  }

  /** The settings as the server reads them, with the workspace trust. */
  serverSettings(): InitializationOptions {
    return withTrust(initializationOptions(this.settings(), os.homedir(), this.workspaceRoot()), vscode.workspace.isTrusted);
  }

  /** The server binary the settings give now. */
  private resolve() {
    return resolveServer({
      configured: this.settings().serverPath,
      extensionPath: this.context.extensionPath,
      platform: process.platform,
      arch: process.arch,
      envPath: process.env.PATH ?? '',
      home: os.homedir(),
      isExecutable,
    });
  }

  /**
   * The user trusted the workspace: the server evaluates from now on. The
   * workspace's values of the restricted settings (server.path,
   * server.extraArgs, kubeconfig) now apply too: a changed server command
   * restarts the server, else the new settings are sent to it.
   */
  async trustGranted(): Promise<void> {
    const r = this.resolve();
    const now = r.ok ? [r.path, 'serve', ...this.settings().extraArgs] : undefined;
    const action = trustGrantAction(this.client ? this.running : undefined, now);
    this.output.appendLine(`workspace trusted: ${action}`);
    switch (action) {
      case 'start':
        await this.start();
        break;
      case 'restart':
        await this.restart();
        break;
      case 'notify':
        await this.client?.sendNotification(DidChangeConfigurationNotification.type, { settings: { [SERVER_SECTION]: this.serverSettings() } });
        break;
    }
  }

  /** Starts the server once; later calls wait for the same start. */
  start(): Promise<LanguageClient | undefined> {
    if (!this.starting) {
      this.starting = this.doStart().catch((err) => {
        this.output.appendLine(`konfig-lsp failed to start: ${err instanceof Error ? err.message : String(err)}`);
        void vscode.window.showErrorMessage(`Konfig: the language server failed to start: ${err}`, 'Show log').then((a) => {
          if (a) {
            this.output.show();
          }
        });
        this.starting = undefined;
        return undefined;
      });
    }
    return this.starting;
  }

  private async doStart(): Promise<LanguageClient | undefined> {
    const s = this.settings();
    const resolved = this.resolve();
    if (!resolved.ok) {
      this.output.appendLine(resolved.message);
      const choice = await vscode.window.showErrorMessage(`Konfig: ${resolved.message}`, 'Open Settings');
      if (choice === 'Open Settings') {
        await vscode.commands.executeCommand('workbench.action.openSettings', `${SECTION}.server.path`);
      }
      return undefined;
    }
    this.output.appendLine(`starting ${resolved.path} (${resolved.source})`);
    const serverOptions: ServerOptions = {
      command: resolved.path,
      args: ['serve', ...s.extraArgs],
      // No `transport`: with TransportKind.stdio the client appends
      // --stdio, which konfig-lsp does not take; stdio is the default.
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', language: 'kcl' }],
      initializationOptions: this.serverSettings(),
      outputChannel: this.output,
      traceOutputChannel: this.trace,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher('**/{*.k,kcl.mod,kcl.yaml,stack.yaml,project.yaml,settings.yaml}'),
      },
      middleware: {
        // The server pulls its settings as the `konfig` section; VS Code
        // keeps them as konfig-lsp.*: answer with the same settings as the
        // initializationOptions.
        workspace: {
          configuration: async (params, token, next) => {
            const answers = await next(params, token);
            if (!Array.isArray(answers)) {
              return answers;
            }
            return configurationAnswers(params.items, answers, this.serverSettings());
          },
        },
        // The server's lenses name its own commands; run them through ours
        // so that their results are shown.
        provideCodeLenses: async (doc, token, next) => {
          const lenses = await next(doc, token);
          for (const lens of lenses ?? []) {
            const cmd = lens.command && clientCommandOf(lens.command.command);
            if (lens.command && cmd) {
              lens.command = { ...lens.command, command: cmd };
            }
          }
          return lenses;
        },
      },
    };
    const client = new LanguageClient(SECTION, 'Konfig Language Server', serverOptions, clientOptions);
    // Apply and destroy ask first: show the question as a modal dialog.
    client.onRequest(ShowMessageRequest.type, async (params: ShowMessageRequestParams): Promise<MessageActionItem | null> => {
      const m = modalMessage(params.message, params.actions);
      const show =
        params.type === MessageType.Error
          ? vscode.window.showErrorMessage
          : params.type === MessageType.Warning
            ? vscode.window.showWarningMessage
            : vscode.window.showInformationMessage;
      const picked = await show(m.message, { modal: true, detail: m.detail }, ...m.items);
      return picked ? picked.action : null;
    });
    await client.start();
    this.client = client;
    this.running = [resolved.path, 'serve', ...s.extraArgs];
    this.output.appendLine(`konfig-lsp ${JSON.stringify(client.initializeResult?.serverInfo ?? {})} is running`);
    return client;
  }

  async stop(): Promise<void> {
    const starting = this.starting;
    this.starting = undefined;
    const client = (await starting) ?? this.client;
    this.client = undefined;
    this.running = undefined;
    if (client) {
      await client.stop();
      await client.dispose();
    }
  }

  async restart(): Promise<void> {
    this.output.appendLine('restarting konfig-lsp');
    await this.stop();
    await this.start();
  }

  /**
   * What a command applies to: its argument (a URI string, or the resource
   * of an editor title button) or the active editor's document. A result
   * document (preview, diff) stands for the stack it shows, so that Apply
   * from a diff applies that stack.
   */
  target(arg: unknown): string | undefined {
    if (typeof arg === 'string' && arg !== '') {
      return arg;
    }
    const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
    if (!uri) {
      return undefined;
    }
    if (uri.scheme === RESULT_SCHEME) {
      return this.results.stackOf(uri);
    }
    return uri.scheme === 'file' ? uri.toString() : undefined;
  }

  /** Runs a server command and returns its parsed result (no UI). */
  async execute(command: ServerCommand, target: string, token?: vscode.CancellationToken) {
    const client = await this.start();
    if (!client) {
      throw new Error('the language server is not running');
    }
    const raw = await client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [target] }, token);
    return parseCommandResult(raw);
  }

  /**
   * "New stack…": asks for the directory (relative to the workspace) and
   * whether it is a stack or a project; the server plans the files from a
   * sibling and creates them through a workspace edit (undoable).
   */
  async newStack(): Promise<void> {
    const kind = await vscode.window.showQuickPick(
      [
        { label: 'Stack', description: 'in an existing project, shaped like a sibling stack', value: 'stack' },
        { label: 'Project', description: 'with a first stack, shaped like a sibling project', value: 'project' },
      ],
      { title: 'Konfig: New stack or project' },
    );
    if (!kind) {
      return;
    }
    const dir = await vscode.window.showInputBox({
      title: `Konfig: new ${kind.value}`,
      prompt: kind.value === 'stack' ? 'Directory of the new stack, e.g. appops/wordpress/staging' : 'Directory of the new project, e.g. appops/blog',
      validateInput: (v) => (v.trim() === '' ? 'Give a directory' : undefined),
    });
    if (!dir) {
      return;
    }
    try {
      const client = await this.start();
      if (!client) {
        throw new Error('the language server is not running');
      }
      const raw = (await client.sendRequest(ExecuteCommandRequest.type, {
        command: 'konfig.newStack',
        arguments: [{ dir: dir.trim(), kind: kind.value }],
      })) as { files?: string[] } | null;
      const files = raw?.files ?? [];
      const main = files.find((f) => f.endsWith('main.k')) ?? files[0];
      if (main) {
        await vscode.window.showTextDocument(vscode.Uri.file(main));
      }
      void vscode.window.showInformationMessage(`Konfig: created ${files.length} files in ${dir.trim()}.`);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.output.appendLine(`konfig.newStack: ${msg}`);
      void vscode.window.showErrorMessage(`Konfig: ${msg}`);
    }
  }

  /** Runs a server command and shows its result. */
  async run(command: ServerCommand, arg: unknown): Promise<void> {
    const target = this.target(arg);
    if (!target) {
      void vscode.window.showWarningMessage('Konfig: open a file of a stack (a .k file under a directory with stack.yaml) first.');
      return;
    }
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Window, title: `Konfig: ${command.slice('konfig.'.length)}` },
        () => this.execute(command, target),
      );
      const r = renderResult(command, result);
      if (r.docPath !== undefined) {
        // One document per stack: a second run refreshes it, in the
        // editor that shows it when there is one.
        const uri = vscode.Uri.from({ scheme: RESULT_SCHEME, path: r.docPath });
        this.results.set(uri, r.content ?? '', result.stack);
        const doc = await vscode.workspace.openTextDocument(uri);
        await vscode.languages.setTextDocumentLanguage(doc, r.language ?? 'plaintext');
        const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
        await vscode.window.showTextDocument(doc, { viewColumn: shown?.viewColumn ?? vscode.ViewColumn.Beside, preview: false, preserveFocus: true });
      }
      if (r.message) {
        void (r.warning ? vscode.window.showWarningMessage(r.message) : vscode.window.showInformationMessage(r.message));
      }
      if ((command === 'konfig.apply' || command === 'konfig.destroy') && result.summary !== 'cancelled') {
        await this.refreshDiff(result.stack);
      }
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      this.output.appendLine(`${command}: ${msg}`);
      if (needsTrust(msg)) {
        // Restricted Mode: offer the way out.
        const manage = 'Manage Workspace Trust';
        void vscode.window
          .showWarningMessage(`Konfig ${command.slice('konfig.'.length)} needs a trusted workspace: in Restricted Mode the language server does not evaluate KCL code.`, manage)
          .then((a) => (a === manage ? vscode.commands.executeCommand('workbench.trust.manage') : undefined));
        return;
      }
      void vscode.window.showErrorMessage(`Konfig ${command.slice('konfig.'.length)}: ${msg}`);
    }
  }

  /** Refreshes the open diff document of a stack (after an apply or destroy its plan is stale). */
  private async refreshDiff(stack: string): Promise<void> {
    const p = diffDocPath(stack);
    const uri = p && vscode.Uri.from({ scheme: RESULT_SCHEME, path: p });
    if (!uri || !vscode.workspace.textDocuments.some((d) => d.uri.toString() === uri.toString())) {
      return;
    }
    try {
      const d = await this.execute('konfig.diff', stack);
      this.results.set(uri, renderResult('konfig.diff', d).content ?? '', d.stack);
    } catch (err) {
      this.output.appendLine(`refreshing the diff of ${stack}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  /** Shows the active stack and the cluster context. */
  updateStatus(): void {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document.languageId !== 'kcl' || editor.document.uri.scheme !== 'file') {
      this.status.hide();
      return;
    }
    const file = editor.document.uri.fsPath;
    const root = vscode.workspace.getWorkspaceFolder(editor.document.uri)?.uri.fsPath;
    const stackDir = findStackDir(file, root, (p) => fs.existsSync(p));
    const s = this.settings();
    let ctx = (s.context ?? '').trim();
    if (ctx === '') {
      try {
        const kc = kubeconfigPath(s.kubeconfig, process.env.KUBECONFIG, os.homedir(), process.platform, this.workspaceRoot());
        ctx = currentContext(fs.readFileSync(kc, 'utf8'));
      } catch {
        ctx = '';
      }
    }
    const t = statusText(stackDir, ctx);
    this.status.text = t.text;
    this.status.tooltip = t.tooltip;
    this.status.show();
  }

  register(): void {
    const cmd = (id: string, f: (...args: unknown[]) => unknown) =>
      this.disposables.push(vscode.commands.registerCommand(id, f));
    cmd('konfig-lsp.preview', (arg) => this.run('konfig.preview', arg));
    cmd('konfig-lsp.diff', (arg) => this.run('konfig.diff', arg));
    cmd('konfig-lsp.apply', (arg) => this.run('konfig.apply', arg));
    cmd('konfig-lsp.destroy', (arg) => this.run('konfig.destroy', arg));
    cmd('konfig-lsp.checkAffected', (arg) => this.run('konfig.checkAffected', arg));
    cmd('konfig-lsp.newStack', () => this.newStack());
    cmd('konfig-lsp.restart', () => this.restart());
    cmd('konfig-lsp.showOutput', () => this.output.show());
    this.disposables.push(
      vscode.window.onDidChangeActiveTextEditor(() => this.updateStatus()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        this.updateStatus();
        void this.trustGranted();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration(SECTION)) {
          return;
        }
        this.updateStatus();
        // The trace setting is followed by the client itself; the rest are
        // the server's command line or its settings (given at start).
        const restartKeys = ['server.path', 'server.extraArgs', ...SERVER_SETTINGS];
        if (restartKeys.some((k) => e.affectsConfiguration(`${SECTION}.${k}`))) {
          void this.restart();
        }
      }),
    );
    this.updateStatus();
  }

  dispose(): void {
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}

let ext: KonfigExtension | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<KonfigExtension> {
  ext = new KonfigExtension(context);
  context.subscriptions.push(ext);
  ext.register();
  const started = ext.start();
  const out = process.env.KONFIG_LSP_SELFTEST_OUT;
  if (out) {
    const e = ext;
    void started.then(() => runSelfTest(e, out, process.env.KONFIG_LSP_SELFTEST_FILE ?? 'shop/dev/main.k'));
  }
  return ext;
}

export async function deactivate(): Promise<void> {
  await ext?.stop();
  ext = undefined;
}
