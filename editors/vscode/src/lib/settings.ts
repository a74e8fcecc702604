// VS Code settings → the server's initializationOptions.

/** The konfig-lsp.* settings the client reads (as the configuration returns them). */
export interface Settings {
  kubeconfig?: string;
  context?: string;
  debounceMs?: number | null;
  stacks?: string[];
  disableApply?: boolean;
}

/** What the server reads from initializationOptions (internal/lsp/lifecycle.go). */
export interface InitializationOptions {
  debounceMs?: number;
  stacks?: string[];
  kubeconfig?: string;
  context?: string;
  disableApply?: boolean;
}

/**
 * Builds the initializationOptions: unset or empty settings are left out so
 * the server keeps its defaults; a negative or fractional debounce is
 * dropped or rounded; `~/` in the kubeconfig path is expanded.
 */
export function initializationOptions(s: Settings, home: string): InitializationOptions {
  const o: InitializationOptions = {};
  if (typeof s.debounceMs === 'number' && Number.isFinite(s.debounceMs) && s.debounceMs >= 0) {
    o.debounceMs = Math.round(s.debounceMs);
  }
  const stacks = (s.stacks ?? []).map((x) => x.trim()).filter((x) => x !== '');
  if (stacks.length > 0) {
    o.stacks = stacks;
  }
  const kc = (s.kubeconfig ?? '').trim();
  if (kc !== '') {
    o.kubeconfig = kc === '~' || kc.startsWith('~/') ? home + kc.slice(1) : kc;
  }
  const ctx = (s.context ?? '').trim();
  if (ctx !== '') {
    o.context = ctx;
  }
  if (s.disableApply === true) {
    o.disableApply = true;
  }
  return o;
}

/**
 * The kubeconfig file in force: the setting, else the first file of
 * $KUBECONFIG, else ~/.kube/config.
 */
export function kubeconfigPath(setting: string | undefined, envKubeconfig: string | undefined, home: string, platform: string): string {
  const s = (setting ?? '').trim();
  if (s !== '') {
    return s === '~' || s.startsWith('~/') ? home + s.slice(1) : s;
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
