-- KCL files: *.k
vim.cmd([[autocmd BufRead,BufNewFile *.k setfiletype kcl]])
