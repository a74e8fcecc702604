-- konfig-lsp client for Neovim (0.7.2 and newer). Thin by design: every
-- feature comes from the server. Usage:
--
--   require('konfig').setup({ cmd = { 'konfig-lsp' } })
--
-- Commands: :KonfigPreview, :KonfigDiff, :KonfigApply, :KonfigDestroy.
local M = {}

M.config = {
  cmd = { 'konfig-lsp' },
  root_markers = { 'kcl.mod', 'project.yaml', '.git' },
  settings = {},
  -- confirm(prompt) -> boolean; apply and destroy ask through it first.
  confirm = function(prompt)
    return vim.fn.confirm(prompt, '&Yes\n&No', 2) == 1
  end,
}

local clients = {} -- root dir -> client id

local function find_root(fname)
  local dir = vim.fn.fnamemodify(fname, ':p:h')
  local prev = nil
  -- The outermost kcl.mod is the module root; fall back to the nearest marker.
  local found = nil
  while dir ~= prev do
    for _, marker in ipairs(M.config.root_markers) do
      if vim.loop.fs_stat(dir .. '/' .. marker) then
        if marker == 'kcl.mod' then
          return dir
        end
        found = found or dir
      end
    end
    prev = dir
    dir = vim.fn.fnamemodify(dir, ':h')
  end
  return found or vim.fn.fnamemodify(fname, ':p:h')
end

function M.attach(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local fname = vim.api.nvim_buf_get_name(bufnr)
  if fname == '' then
    return
  end
  local root = find_root(fname)
  local id = clients[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client({
      name = 'konfig-lsp',
      cmd = M.config.cmd,
      root_dir = root,
      workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
      init_options = M.config.settings,
      settings = { konfig = M.config.settings },
      handlers = {
        -- The server asks before apply/destroy; answer with a prompt.
        ['window/showMessageRequest'] = function(_, params)
          local items = params.actions or {}
          if #items == 0 then
            vim.notify(params.message)
            return vim.NIL
          end
          local labels = {}
          for i, a in ipairs(items) do
            labels[i] = '&' .. a.title
          end
          local choice = vim.fn.confirm(params.message, table.concat(labels, '\n'), #items)
          if choice < 1 then
            return vim.NIL
          end
          return items[choice]
        end,
      },
    })
    clients[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

local function client_for(bufnr)
  for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
    if c.name == 'konfig-lsp' then
      return c
    end
  end
  return nil
end

-- Runs a server command on the current buffer's stack and calls on_result
-- with the result (or reports the error).
function M.command(name, on_result, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local c = client_for(bufnr)
  if not c then
    vim.notify('konfig-lsp is not attached to this buffer', vim.log.levels.ERROR)
    return
  end
  local params = { command = name, arguments = { vim.uri_from_bufnr(bufnr) } }
  c.request('workspace/executeCommand', params, function(err, result)
    if err then
      vim.notify(name .. ': ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result)
    end
  end, bufnr)
end

-- Opens text in a read-only scratch buffer named name.
function M.show(name, text, filetype)
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, name)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(text or '', '\n', { plain = true }))
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  vim.api.nvim_buf_set_option(buf, 'buftype', 'nofile')
  if filetype then
    vim.api.nvim_buf_set_option(buf, 'filetype', filetype)
  end
  vim.cmd('vsplit')
  vim.api.nvim_win_set_buf(0, buf)
  return buf
end

local function result_text(result)
  if type(result) == 'table' then
    return result.text or result.yaml or vim.inspect(result)
  end
  return tostring(result or '')
end

function M.preview()
  M.command('konfig.preview', function(result)
    M.show('konfig://preview/' .. vim.fn.expand('%:p:h:t'), result_text(result), 'yaml')
  end)
end

function M.diff()
  M.command('konfig.diff', function(result)
    M.show('konfig://diff/' .. vim.fn.expand('%:p:h:t'), result_text(result), 'diff')
  end)
end

function M.apply()
  M.command('konfig.apply', function(result)
    vim.notify(result_text(result))
  end)
end

function M.destroy()
  M.command('konfig.destroy', function(result)
    vim.notify(result_text(result))
  end)
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', M.config, opts or {})
  vim.cmd([[
    augroup konfig_lsp
      autocmd!
      autocmd FileType kcl lua require('konfig').attach(tonumber(vim.fn.expand('<abuf>')))
    augroup END
  ]])
  vim.cmd([[command! KonfigPreview lua require('konfig').preview()]])
  vim.cmd([[command! KonfigDiff lua require('konfig').diff()]])
  vim.cmd([[command! KonfigApply lua require('konfig').apply()]])
  vim.cmd([[command! KonfigDestroy lua require('konfig').destroy()]])
end

return M
