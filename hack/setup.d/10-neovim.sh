#!/usr/bin/env bash
# Installs Neovim (Debian package) for the editor end-to-end tests.
set -euo pipefail
if ! command -v nvim >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq neovim >/dev/null
  else
    echo "neovim is missing and we are not root: the Neovim tests will skip" >&2
  fi
fi
