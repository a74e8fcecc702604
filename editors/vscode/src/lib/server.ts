// Finding the konfig-lsp binary: the setting, else the binary bundled in the
// extension for this platform, else konfig-lsp on PATH.

import * as path from 'node:path';

/** Where the resolved binary came from. */
export type ServerSource = 'setting' | 'bundled' | 'path';

/** The inputs of {@link resolveServer}; everything it needs from the world. */
export interface ResolveInput {
  /** The konfig-lsp.server.path setting ('' when unset). `~/` is expanded. */
  configured: string;
  /** The extension's install directory. */
  extensionPath: string;
  /** process.platform, process.arch. */
  platform: string;
  arch: string;
  /** The PATH environment variable. */
  envPath: string;
  /** The user's home directory, for `~/` in the setting. */
  home: string;
  /** Reports whether an executable file exists at the path. */
  isExecutable: (p: string) => boolean;
}

export type Resolved =
  | { ok: true; path: string; source: ServerSource }
  | { ok: false; message: string };

/** The platform directory of a bundled binary: bin/<platform>-<arch>. */
export function bundledDir(platform: string, arch: string): string {
  return `${platform}-${arch}`;
}

/** The binary's file name on the platform. */
export function binaryName(platform: string): string {
  return platform === 'win32' ? 'konfig-lsp.exe' : 'konfig-lsp';
}

/** The bundled binary's path inside the extension. */
export function bundledPath(extensionPath: string, platform: string, arch: string): string {
  return path.join(extensionPath, 'bin', bundledDir(platform, arch), binaryName(platform));
}

/** Resolves the server binary; when none is found, says how to fix it. */
export function resolveServer(input: ResolveInput): Resolved {
  const configured = input.configured.trim();
  if (configured !== '') {
    let p = configured;
    if (p === '~' || p.startsWith('~/')) {
      p = path.join(input.home, p.slice(1));
    }
    if (input.isExecutable(p)) {
      return { ok: true, path: p, source: 'setting' };
    }
    return {
      ok: false,
      message:
        `The konfig-lsp.server.path setting names ${p}, which is not an executable file. ` +
        'Fix the setting, or clear it to use the bundled binary or konfig-lsp on PATH.',
    };
  }
  const bundled = bundledPath(input.extensionPath, input.platform, input.arch);
  if (input.isExecutable(bundled)) {
    return { ok: true, path: bundled, source: 'bundled' };
  }
  const sep = input.platform === 'win32' ? ';' : ':';
  const name = binaryName(input.platform);
  for (const dir of input.envPath.split(sep)) {
    if (dir === '') {
      continue;
    }
    const p = path.join(dir, name);
    if (input.isExecutable(p)) {
      return { ok: true, path: p, source: 'path' };
    }
  }
  return {
    ok: false,
    message:
      `konfig-lsp was not found: this extension has no bundled binary for ${bundledDir(input.platform, input.arch)} ` +
      'and konfig-lsp is not on PATH. Install it (`go install github.com/konfig-lsp/konfig-lsp/cmd/konfig-lsp@latest`) ' +
      'or set konfig-lsp.server.path to the binary.',
  };
}
