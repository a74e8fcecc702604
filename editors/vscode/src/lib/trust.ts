// Workspace trust (VS Code's restricted mode) and the server's `trusted`
// setting. In an untrusted workspace the extension runs in limited mode
// (package.json capabilities.untrustedWorkspaces): the server starts with
// "trusted": false and evaluates no KCL code (no policy diagnostics, no hover
// previews, no preview/diff/apply/destroy), while syntax and type
// diagnostics, completion, hover docs, navigation and formatting work.
// Settings that name programs or files (restrictedConfigurations) keep
// their user value only: VS Code ignores a workspace's value for them until
// the workspace is trusted.

import type { InitializationOptions } from './settings';

/**
 * The server settings VS Code's state decides, not a konfig-lsp.* setting:
 * `trusted` is vscode.workspace.isTrusted (a workspace's settings.json must
 * not be able to trust itself).
 */
export const DERIVED_SETTINGS = ['trusted'] as const;

/**
 * The settings VS Code takes from the user only in an untrusted workspace:
 * those naming a program, its arguments or a file that the server or the
 * engine would use (a kubeconfig runs its exec credential plugins).
 */
export const RESTRICTED_SETTINGS = ['server.path', 'server.extraArgs', 'kubeconfig'] as const;

/**
 * The settings the server reads, with `trusted` set from the workspace
 * trust. It is always sent, true or false: the server keeps the last trust
 * it was told when a settings object leaves it out.
 */
export function withTrust(o: InitializationOptions, isTrusted: boolean): InitializationOptions {
  return { ...o, trusted: isTrusted };
}

/** What to do when the user grants the workspace trust. */
export type TrustGrantAction =
  /** No server runs (it failed to start, or never started): start one. */
  | 'start'
  /** The server command changed (a restricted setting of the workspace now applies): restart. */
  | 'restart'
  /** Tell the running server (workspace/didChangeConfiguration): it evaluates from now on, without a restart. */
  | 'notify';

/**
 * The action on a grant of trust: `running` is the command line of the
 * running server (undefined when none runs), `now` the one the settings give
 * now (undefined when no binary is found).
 */
export function trustGrantAction(running: readonly string[] | undefined, now: readonly string[] | undefined): TrustGrantAction {
  if (running === undefined) {
    return 'start';
  }
  if (now !== undefined && (now.length !== running.length || now.some((x, i) => x !== running[i]))) {
    return 'restart';
  }
  return 'notify';
}

/**
 * Whether a server error is its refusal in an untrusted workspace
 * ("konfig.preview needs a trusted workspace: …", internal/lsp/trust.go).
 */
export function needsTrust(message: string): boolean {
  return /\bkonfig\.[a-z]+ needs a trusted workspace\b/.test(message);
}
