// Rendering the server's command results and requests for VS Code, as pure
// functions over plain data.

import * as path from 'node:path';

/** The commands of the server (workspace/executeCommand). */
export const serverCommands = ['konfig.preview', 'konfig.diff', 'konfig.apply', 'konfig.destroy', 'konfig.checkAffected'] as const;
export type ServerCommand = (typeof serverCommands)[number];

/** The URI scheme of the read-only documents that show command results. */
export const RESULT_SCHEME = 'konfig-preview';

/** The client command that runs a server command (konfig.preview → konfig-lsp.preview). */
export function clientCommandOf(serverCommand: string): string | undefined {
  return (serverCommands as readonly string[]).includes(serverCommand)
    ? 'konfig-lsp.' + serverCommand.slice('konfig.'.length)
    : undefined;
}

/** What the server's konfig.* commands return (internal/lsp/commands.go). */
export interface CommandResult {
  stack: string;
  title: string;
  text: string;
  summary?: string;
}

/** Parses a command's result; the server sends it as a JSON object. */
export function parseCommandResult(raw: unknown): CommandResult {
  let v = raw;
  if (typeof v === 'string') {
    v = JSON.parse(v);
  }
  if (v === null || typeof v !== 'object') {
    throw new Error(`unexpected command result: ${JSON.stringify(raw)}`);
  }
  const o = v as Record<string, unknown>;
  if (typeof o.title !== 'string' || typeof o.text !== 'string') {
    throw new Error(`command result without title or text: ${JSON.stringify(raw)}`);
  }
  return {
    stack: typeof o.stack === 'string' ? o.stack : '',
    title: o.title,
    text: o.text,
    summary: typeof o.summary === 'string' && o.summary !== '' ? o.summary : undefined,
  };
}

/**
 * How a result is shown: previews and diffs as a read-only document; apply
 * and destroy as a message with the server's summary (the change table was
 * the confirmation question, it is not shown again).
 */
export interface Rendered {
  /** The virtual document's path (its name in the tab), ending in .yaml or .diff. */
  docPath?: string;
  /** The language of the document: yaml for previews, diff for diffs. */
  language?: 'yaml' | 'diff';
  content?: string;
  /** A notification to show (apply and destroy summaries). */
  message?: string;
  /** The message is a warning (a cancelled apply or destroy). */
  warning?: boolean;
}

/** A file-name-safe form of a title. */
export function slug(s: string): string {
  return s
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80) || 'konfig';
}

/** The document name of a result: what and the stack's label, else the title. */
function docName(what: string, r: CommandResult): string {
  return r.stack !== '' ? slug(`${what} ${stackLabel(r.stack)}`) : slug(r.title);
}

/**
 * The document of a stack's diff (as renderResult names it), which an
 * apply or destroy of the stack makes stale; undefined without a stack.
 */
export function diffDocPath(stack: string): string | undefined {
  return stack !== '' ? `/${docName('Diff of', { stack, title: '', text: '' })}.diff` : undefined;
}

/** Renders a command's result as a read-only document (and a message). */
export function renderResult(command: ServerCommand, r: CommandResult): Rendered {
  switch (command) {
    // One document per stack (not per title: a preview's title counts the
    // resources), so that running the command again refreshes it.
    case 'konfig.preview':
      return { docPath: `/${docName('Resources of', r)}.yaml`, language: 'yaml', content: `# ${r.title}\n${r.text}` };
    case 'konfig.diff':
      return { docPath: `/${docName('Diff of', r)}.diff`, language: 'diff', content: `# ${r.title}\n${r.text}` };
    default: {
      const summary = r.summary ?? 'done';
      const out: Rendered = { message: `${r.title}: ${summary}` };
      if (summary === 'cancelled') {
        out.warning = true;
      }
      return out;
    }
  }
}

/** An LSP MessageActionItem. */
export interface MessageAction {
  title: string;
}

/** A modal message for window/showMessageRequest. */
export interface ModalMessage<A extends MessageAction = MessageAction> {
  /** The first line of the server's message. */
  message: string;
  /** The rest (for apply: the change table), shown as the modal's detail. */
  detail?: string;
  /** Buttons: the server's actions; "Cancel" becomes the close affordance. */
  items: { title: string; isCloseAffordance: boolean; action: A }[];
}

/** Turns a window/showMessageRequest into a modal dialog's parts. */
export function modalMessage<A extends MessageAction>(message: string, actions: A[] | undefined | null): ModalMessage<A> {
  const nl = message.indexOf('\n');
  const head = nl < 0 ? message : message.slice(0, nl);
  const rest = nl < 0 ? '' : message.slice(nl + 1).replace(/\s+$/, '');
  const items = (actions ?? []).map((a) => ({
    title: a.title,
    isCloseAffordance: /^cancel$/i.test(a.title),
    action: a,
  }));
  return rest === '' ? { message: head, items } : { message: head, detail: rest, items };
}

/** The stack label of a stack directory: <project>/<stack> (the two last path elements). */
export function stackLabel(stackDir: string): string {
  const stack = path.basename(stackDir);
  const project = path.basename(path.dirname(stackDir));
  return project && project !== '.' && project !== path.sep ? `${project}/${stack}` : stack;
}

/**
 * The stack directory of a file: the nearest directory at or above it with a
 * stack.yaml, not above the workspace root ('' when none).
 */
export function findStackDir(file: string, root: string | undefined, exists: (p: string) => boolean): string {
  let dir = path.dirname(file);
  for (;;) {
    if (exists(path.join(dir, 'stack.yaml'))) {
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir || (root !== undefined && path.relative(root, dir) === '')) {
      return '';
    }
    dir = parent;
  }
}

/** The status bar text: the active stack and the cluster context. */
export function statusText(stackDir: string, context: string): { text: string; tooltip: string } {
  const stack = stackDir === '' ? 'no stack' : stackLabel(stackDir);
  const ctx = context === '' ? 'no context' : context;
  return {
    text: `$(layers) ${stack} $(cloud) ${ctx}`,
    tooltip: `Konfig stack: ${stackDir === '' ? '(the active file is in no stack)' : stackDir}\nCluster context: ${ctx}`,
  };
}
