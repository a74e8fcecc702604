// VS Code settings → the server's settings (initializationOptions and the
// `konfig` section of workspace/configuration).

/**
 * The settings the server reads (the JSON names of initOptions in
 * internal/lsp/lifecycle.go). Each is contributed as `konfig-lsp.<name>` in
 * package.json; a test checks both lists against the server's.
 */
export const SERVER_SETTINGS = ['debounceMs', 'stacks', 'kubeconfig', 'context', 'disableApply', 'excludeTypes', 'sensitiveAttributes', 'allowedEnv', 'evalTimeoutMs', 'maxFileSize', 'maxMemory', 'cacheMemoryMiB'] as const;

/** The section the server asks for in workspace/configuration. */
export const SERVER_SECTION = 'konfig';

/** The konfig-lsp.* settings the client reads (as the configuration returns them). */
export interface Settings {
  kubeconfig?: string;
  context?: string;
  debounceMs?: number | null;
  stacks?: string[];
  disableApply?: boolean;
  excludeTypes?: string[];
  sensitiveAttributes?: string[];
  allowedEnv?: string[];
  evalTimeoutMs?: number | null;
  maxFileSize?: number | null;
  maxMemory?: number | null;
  cacheMemoryMiB?: number | null;
}

/** What the server reads from initializationOptions (internal/lsp/lifecycle.go). */
export interface InitializationOptions {
  debounceMs?: number;
  stacks?: string[];
  kubeconfig?: string;
  context?: string;
  disableApply?: boolean;
  excludeTypes?: string[];
  sensitiveAttributes?: string[];
  /** Whether the workspace is trusted (see ./trust.ts); not a konfig-lsp.* setting. */
  trusted?: boolean;
  allowedEnv?: string[];
  evalTimeoutMs?: number;
  maxFileSize?: number;
  maxMemory?: number;
  cacheMemoryMiB?: number;
}

/** A positive whole number setting, rounded; undefined when unset or not positive. */
function positive(n: number | null | undefined): number | undefined {
  return typeof n === 'number' && Number.isFinite(n) && Math.round(n) >= 1 ? Math.round(n) : undefined;
}

/** The non-blank entries of a list setting, trimmed and without duplicates. */
function names(list: unknown): string[] {
  if (!Array.isArray(list)) {
    return [];
  }
  const out: string[] = [];
  for (const x of list) {
    const s = typeof x === 'string' ? x.trim() : '';
    if (s !== '' && !out.includes(s)) {
      out.push(s);
    }
  }
  return out;
}

/**
 * The kubeconfig setting as a path: `~` and `~/…` are the home directory
 * (settings are not expanded by a shell), a relative path is relative to
 * the workspace root when there is one (as the server resolves it), '' stays
 * '' ($KUBECONFIG or ~/.kube/config).
 */
export function resolveKubeconfig(setting: string | undefined, home: string, workspaceRoot?: string): string {
  const s = (setting ?? '').trim();
  if (s === '') {
    return '';
  }
  if (s === '~' || s.startsWith('~/')) {
    return home + s.slice(1);
  }
  const absolute = s.startsWith('/') || /^[A-Za-z]:[\\/]/.test(s) || s.startsWith('\\\\');
  if (!absolute && workspaceRoot) {
    return `${workspaceRoot.replace(/[\\/]+$/, '')}/${s.replace(/^\.\//, '')}`;
  }
  return s;
}

/**
 * Builds the settings the server reads: unset or empty settings are left out
 * so the server keeps its defaults; a negative or fractional debounce is
 * dropped or rounded, as are a time limit, size limit or memory budget below 1; the kubeconfig path is resolved (resolveKubeconfig);
 * blank list entries are dropped.
 */
export function initializationOptions(s: Settings, home: string, workspaceRoot?: string): InitializationOptions {
  const o: InitializationOptions = {};
  if (typeof s.debounceMs === 'number' && Number.isFinite(s.debounceMs) && s.debounceMs >= 0) {
    o.debounceMs = Math.round(s.debounceMs);
  }
  const stacks = names(s.stacks);
  if (stacks.length > 0) {
    o.stacks = stacks;
  }
  const kc = resolveKubeconfig(s.kubeconfig, home, workspaceRoot);
  if (kc !== '') {
    o.kubeconfig = kc;
  }
  const ctx = (s.context ?? '').trim();
  if (ctx !== '') {
    o.context = ctx;
  }
  if (s.disableApply === true) {
    o.disableApply = true;
  }
  const exclude = names(s.excludeTypes);
  if (exclude.length > 0) {
    o.excludeTypes = exclude;
  }
  const sensitive = names(s.sensitiveAttributes);
  if (sensitive.length > 0) {
    o.sensitiveAttributes = sensitive;
  }
  const env = names(s.allowedEnv);
  if (env.length > 0) {
    o.allowedEnv = env;
  }
  const timeout = positive(s.evalTimeoutMs);
  if (timeout !== undefined) {
    o.evalTimeoutMs = timeout;
  }
  const size = positive(s.maxFileSize);
  if (size !== undefined) {
    o.maxFileSize = size;
  }
  const memory = positive(s.maxMemory);
  if (memory !== undefined) {
    o.maxMemory = memory;
  }
  const cache = positive(s.cacheMemoryMiB);
  if (cache !== undefined) {
    o.cacheMemoryMiB = cache;
  }
  return o;
}

/**
 * The answers to a workspace/configuration request: VS Code's own answers
 * (`answers`, one per item) with the `konfig` section, the only one the
 * server asks for and not a VS Code section, replaced by the server's
 * settings (VS Code knows them as `konfig-lsp.*`).
 */
export function configurationAnswers(items: { section?: string }[], answers: unknown[], server: InitializationOptions): unknown[] {
  return items.map((it, i) => (it.section === SERVER_SECTION ? server : answers[i]));
}

/**
 * The kubeconfig file in force: the setting, else the first file of
 * $KUBECONFIG, else ~/.kube/config.
 */
export function kubeconfigPath(
  setting: string | undefined,
  envKubeconfig: string | undefined,
  home: string,
  platform: string,
  workspaceRoot?: string,
): string {
  const s = resolveKubeconfig(setting, home, workspaceRoot);
  if (s !== '') {
    return s;
  }
  const sep = platform === 'win32' ? ';' : ':';
  const first = (envKubeconfig ?? '').split(sep).find((x) => x !== '');
  if (first) {
    return first;
  }
  return `${home}/.kube/config`;
}

/** The current-context of a kubeconfig file's text ('' when it has none). */
export function currentContext(kubeconfigText: string): string {
  for (const line of kubeconfigText.split(/\r?\n/)) {
    const m = /^current-context:\s*(.*?)\s*$/.exec(line);
    if (m) {
      return m[1].replace(/^(["'])(.*)\1$/, '$2');
    }
  }
  return '';
}
