-- KCL files: *.k (Neovim's own table maps *.k to kwt; KCL wins here).
vim.cmd([[autocmd BufRead,BufNewFile *.k set filetype=kcl]])
