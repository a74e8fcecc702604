-- konfig-lsp for Neovim: loads on start-up; call require('konfig').setup{}
-- to change options (the defaults start the server for every KCL buffer).
if vim.g.loaded_konfig_lsp then
  return
end
vim.g.loaded_konfig_lsp = true
if vim.g.konfig_lsp_no_auto_setup then
  return
end
require('konfig').setup({})
