-- konfig-lsp client for Neovim (0.7.2 and newer). Thin by design: every
-- feature comes from the server. Usage:
--
--   require('konfig').setup({
--     cmd = { 'konfig-lsp' },
--     settings = {                      -- the server's settings (initializationOptions
--       debounceMs = 150,               -- and the `konfig` section of workspace/configuration)
--       stacks = { 'appops/shop/dev' }, -- only evaluate these stacks (relative to the root)
--       kubeconfig = '~/.kube/dev',     -- `~/` and paths relative to the root are resolved
--       context = 'kind-dev',           -- kubeconfig context; empty: its current-context
--       disableApply = false,           -- true turns off apply and destroy
--       excludeTypes = { 'Terraform' }, -- resource types left out of diff and apply
--       sensitiveAttributes = { 'ssn' }, -- names masked besides password, token, secret, …
--       evalTimeoutMs = 10000,          -- time limit of one stack's evaluation
--       maxFileSize = 2000000,          -- bytes; larger files get syntax checks only
--       maxMemory = 268435456,          -- bytes; memory budget of one stack's evaluation
--       cacheMemoryMiB = 256,           -- MiB; memory budget of the cache of parses and programs
--     },
--     trusted = true,                   -- workspace trust: false, or a function(root)
--   })                                  -- returning false, turns evaluation off
--
-- Workspace trust: `trusted` (default true) is sent to the server as the
-- `trusted` setting. With false the server evaluates no KCL code: syntax
-- and type diagnostics, completion, hover docs, navigation and formatting
-- work; policy diagnostics, hover previews and :KonfigPreview, :KonfigDiff,
-- :KonfigApply, :KonfigDestroy say that they need a trusted workspace. It
-- may be a function(root_dir) returning a boolean, asked once per root
-- (e.g. trust only your own checkouts). :KonfigTrust trusts the root of the
-- current buffer for this session: the server evaluates from then on,
-- without a restart.
--
-- :KonfigCheckAffected checks every stack a model file reaches (an edit
-- re-evaluates only the stacks of open files).
-- Commands: :KonfigPreview and :KonfigDiff show the stack's resources or its
-- diff against the cluster in a scratch buffer (konfig://preview/<stack>,
-- konfig://diff/<stack>), reused and refreshed by the next call, in a split
-- that takes the focus. :KonfigApply and :KonfigDestroy ask first (the
-- question shows the changes), echo their progress, report the server's
-- summary and refresh the stack's diff buffer if one is open (without
-- moving the focus). Run from a scratch buffer, every command acts on the
-- stack that buffer shows. The server's code lenses on a stack's entry files (Preview resources | Preview
-- diff | Apply) show as virtual text (option codelens, on by default) and
-- run these same commands through vim.lsp.codelens.run().
local M = {}

M.config = {
  cmd = { 'konfig-lsp' },
  root_markers = { 'kcl.mod', 'project.yaml', '.git' },
  settings = {},
  -- Show the server's code lenses (refreshed on BufEnter, InsertLeave and
  -- after a write); run one with vim.lsp.codelens.run().
  codelens = true,
  -- Echo the progress of apply and destroy ($/progress) in the command line.
  progress = true,
  -- Workspace trust: true, false, or a function(root_dir) returning a
  -- boolean. Untrusted, the server evaluates no KCL code.
  trusted = true,
}

local clients = {} -- root dir -> client id
local trusted_roots = {} -- root dir -> true, trusted by :KonfigTrust
local lens_commands -- the server's commands run on the client side (below)

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

-- The titles of the running $/progress reports, by token.
local progress_titles = {}

-- The command-line line of a $/progress value: "konfig: <title> <n>%
-- <message>"; the title comes from the report's begin.
function M.progress_text(token, value)
  if type(value) ~= 'table' then
    return nil
  end
  if value.kind == 'begin' then
    progress_titles[token] = value.title or ''
  end
  local parts = { 'konfig:', progress_titles[token] or '' }
  if value.kind == 'end' then
    progress_titles[token] = nil
  elseif type(value.percentage) == 'number' then
    table.insert(parts, value.percentage .. '%')
  end
  if type(value.message) == 'string' and value.message ~= '' then
    table.insert(parts, value.message)
  end
  return table.concat(parts, ' ')
end

-- Whether the workspace at root is trusted: :KonfigTrust, else the trusted
-- option (a boolean or a function(root) returning one). Anything but true
-- or a function's true is untrusted, so a typo does not trust by accident
-- (nil is the default, true).
function M.is_trusted(root)
  if root and trusted_roots[root] then
    return true
  end
  local t = M.config.trusted
  if t == nil then
    return true
  end
  if type(t) == 'function' then
    local ok, v = pcall(t, root)
    return ok and v == true
  end
  return t == true
end

-- The settings as the server reads them, with `trusted` for root (always
-- sent: the server keeps the trust it was last told when a settings object
-- leaves it out). Never empty, so always a JSON object (an empty Lua table
-- would be sent as [], which the server rejects).
function M.server_settings(root)
  local s = vim.deepcopy(M.config.settings or {})
  s.trusted = M.is_trusted(root)
  return s
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
      init_options = M.server_settings(root),
      settings = { konfig = M.server_settings(root) },
      commands = lens_commands,
      on_attach = function(_, b)
        if b == vim.api.nvim_get_current_buf() then
          M.refresh_lenses()
        end
      end,
      handlers = {
        -- Neovim 0.7 keeps $/progress in client.messages but shows
        -- nothing: echo konfig-lsp's (the apply and destroy steps).
        ['$/progress'] = function(err, result, ctx, config)
          local r = vim.lsp.handlers['$/progress'](err, result, ctx, config)
          if M.config.progress and type(result) == 'table' and result.value then
            local text = M.progress_text(result.token, result.value)
            if text then
              vim.api.nvim_echo({ { text } }, false, {})
            end
          end
          return r
        end,
        -- The server asks before apply/destroy (the question shows the
        -- changes); answer with a vim.fn.confirm() dialog.
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

local function buf_var(bufnr, name)
  local ok, v = pcall(vim.api.nvim_buf_get_var, bufnr, name)
  if ok then
    return v
  end
  return nil
end

-- Whether dir is root or lies under it.
local function within(dir, root)
  return dir == root or dir:sub(1, #root + 1) == root .. '/'
end

-- The client serving a scratch buffer's stack: the one that produced it,
-- else (after a restart) any konfig-lsp client whose root holds the stack.
local function client_for_stack(bufnr, dir)
  local c = vim.lsp.get_client_by_id(buf_var(bufnr, 'konfig_client') or -1)
  if c and not c.is_stopped() then
    return c
  end
  for _, other in pairs(vim.lsp.get_active_clients()) do
    local root = other.config and other.config.root_dir
    if other.name == 'konfig-lsp' and root and within(dir, root) then
      return other
    end
  end
  return nil
end

-- The stack a command run in bufnr acts on: a konfig scratch buffer
-- (preview, diff) acts on the stack it shows (b:konfig_stack); any other
-- buffer on the stack of its file. Returns the client and the command
-- argument (a stack directory or the buffer's URI), or nil and a reason.
function M.target(bufnr)
  local stack = buf_var(bufnr, 'konfig_stack')
  if type(stack) == 'string' and stack ~= '' then
    local c = client_for_stack(bufnr, stack)
    if not c then
      return nil, 'konfig-lsp is not running for ' .. stack
    end
    return c, stack
  end
  local c = client_for(bufnr)
  if not c then
    return nil, 'konfig-lsp is not attached to this buffer'
  end
  return c, vim.uri_from_bufnr(bufnr)
end

-- Runs a server command on the stack of bufnr (the current buffer by
-- default; see M.target) and calls on_result(result, client) with the
-- result, or reports the error.
function M.command(name, on_result, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local c, arg = M.target(bufnr)
  if not c then
    vim.notify(arg, vim.log.levels.ERROR)
    return
  end
  local params = { command = name, arguments = { arg } }
  -- No bufnr for a scratch buffer: the client then flushes the pending
  -- changes of all its buffers before the request.
  local req_buf = nil
  if buf_var(bufnr, 'konfig_stack') == nil then
    req_buf = bufnr
  end
  c.request('workspace/executeCommand', params, function(err, result)
    if err then
      vim.notify(name .. ': ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    if on_result then
      on_result(result, c)
    end
  end, req_buf)
end

local function find_buf(name)
  for _, b in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_get_name(b) == name then
      return b
    end
  end
  return nil
end

-- Shows text in the read-only scratch buffer called name: the buffer is
-- made once and refreshed by later calls, in the window of this tab page
-- that shows it, else in a new vertical split. The window gets the focus
-- (as :help and :split do), unless opts.focus is false: then only the
-- buffer is refreshed (in whatever window shows it). vars are set as buffer
-- variables (b:konfig_stack makes the commands run there act on the stack
-- it shows).
function M.show(name, text, filetype, vars, opts)
  local buf = find_buf(name)
  if buf == nil then
    buf = vim.api.nvim_create_buf(false, true)
    vim.api.nvim_buf_set_name(buf, name)
    vim.api.nvim_buf_set_option(buf, 'buftype', 'nofile')
    vim.api.nvim_buf_set_option(buf, 'bufhidden', 'hide')
    vim.api.nvim_buf_set_option(buf, 'swapfile', false)
  elseif not vim.api.nvim_buf_is_loaded(buf) then
    vim.fn.bufload(buf)
  end
  vim.api.nvim_buf_set_option(buf, 'modifiable', true)
  vim.api.nvim_buf_set_lines(buf, 0, -1, false, vim.split(text or '', '\n', { plain = true }))
  vim.api.nvim_buf_set_option(buf, 'modifiable', false)
  vim.api.nvim_buf_set_option(buf, 'modified', false)
  if filetype and vim.api.nvim_buf_get_option(buf, 'filetype') ~= filetype then
    vim.api.nvim_buf_set_option(buf, 'filetype', filetype)
  end
  for k, v in pairs(vars or {}) do
    vim.api.nvim_buf_set_var(buf, k, v)
  end
  if opts and opts.focus == false then
    return buf
  end
  local win = nil
  for _, w in ipairs(vim.api.nvim_tabpage_list_wins(0)) do
    if vim.api.nvim_win_get_buf(w) == buf then
      win = w
      break
    end
  end
  if win then
    vim.api.nvim_set_current_win(win)
  else
    vim.cmd('vsplit')
    vim.api.nvim_win_set_buf(0, buf)
  end
  return buf
end

local function result_text(result)
  if type(result) == 'table' then
    return result.text or result.yaml or vim.inspect(result)
  end
  return tostring(result or '')
end

-- The scratch buffer name of a result: konfig://<kind>/<stack dir relative
-- to the client's root> (unique per stack: shop/dev and blog/dev differ).
local function scratch_name(kind, result, client, bufnr)
  local dir = type(result) == 'table' and result.stack or nil
  if type(dir) ~= 'string' or dir == '' then
    dir = buf_var(bufnr, 'konfig_stack') or vim.fn.fnamemodify(vim.api.nvim_buf_get_name(bufnr), ':p:h')
  end
  local root = client and client.config and client.config.root_dir
  local label = dir
  if root and within(dir, root) and dir ~= root then
    label = dir:sub(#root + 2)
  end
  return 'konfig://' .. kind .. '/' .. label:gsub('^/', ''), dir
end

local function show_result(kind, filetype, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  M.command('konfig.' .. kind, function(result, client)
    local name, dir = scratch_name(kind, result, client, bufnr)
    M.show(name, result_text(result), filetype, { konfig_stack = dir, konfig_client = client.id })
  end, bufnr)
end

-- :KonfigPreview on the stack of bufnr (default: the current buffer).
function M.preview(bufnr)
  show_result('preview', 'yaml', bufnr)
end

-- :KonfigDiff on the stack of bufnr (default: the current buffer).
function M.diff(bufnr)
  show_result('diff', 'diff', bufnr)
end

-- The message for an apply or destroy result: its title and the summary
-- the server returns ("Apply shop/dev: 3 created, 0 updated, …",
-- "… : cancelled", "… : nothing to do"). The change table is not repeated:
-- it was the confirmation question.
function M.summary(result)
  if type(result) ~= 'table' then
    return tostring(result or ''), vim.log.levels.INFO
  end
  local s = result.summary
  if type(s) ~= 'string' or s == '' then
    s = 'done'
  end
  local level = vim.log.levels.INFO
  if s == 'cancelled' then
    level = vim.log.levels.WARN
  end
  return (result.title or 'konfig') .. ': ' .. s, level
end

-- Refreshes the diff buffer of a stack, if one is loaded, without moving
-- the focus (after an apply or destroy its plan is stale).
local function refresh_diff(result, client, bufnr)
  local name = scratch_name('diff', result, client, bufnr)
  local dbuf = find_buf(name)
  if dbuf == nil or not vim.api.nvim_buf_is_loaded(dbuf) or buf_var(dbuf, 'konfig_stack') == nil then
    return
  end
  M.command('konfig.diff', function(diff, c)
    M.show(name, result_text(diff), 'diff', { konfig_client = c.id }, { focus = false })
  end, dbuf)
end

local function run_engine(cmd, bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  M.command(cmd, function(result, client)
    vim.notify(M.summary(result))
    if type(result) == 'table' and result.summary ~= 'cancelled' then
      refresh_diff(result, client, bufnr)
    end
  end, bufnr)
end

-- :KonfigApply on the stack of bufnr (default: the current buffer).
function M.apply(bufnr)
  run_engine('konfig.apply', bufnr)
end

-- :KonfigDestroy on the stack of bufnr (default: the current buffer).
function M.destroy(bufnr)
  run_engine('konfig.destroy', bufnr)
end

-- :KonfigCheckAffected evaluates every stack that reads the file of bufnr
-- (default: the current buffer; a model file), with the server's progress;
-- the failures arrive as diagnostics at the failing stacks' lines, grouped
-- on the model file. Prints the summary.
function M.check_affected(bufnr)
  M.command('konfig.checkAffected', function(result)
    vim.notify('konfig: ' .. ((result and result.summary) or 'done'))
  end, bufnr)
end

-- Client-side handlers of the server's commands, for its code lenses
-- ("Preview resources | Preview diff | Apply" on a stack's entry files) and
-- code actions: the same as the user commands, so their results are shown
-- (Neovim would otherwise run them and drop the result).
lens_commands = {
  ['konfig.preview'] = function(_, ctx)
    M.preview(ctx.bufnr)
  end,
  ['konfig.diff'] = function(_, ctx)
    M.diff(ctx.bufnr)
  end,
  ['konfig.apply'] = function(_, ctx)
    M.apply(ctx.bufnr)
  end,
  ['konfig.destroy'] = function(_, ctx)
    M.destroy(ctx.bufnr)
  end,
  ['konfig.checkAffected'] = function(_, ctx)
    M.check_affected(ctx.bufnr)
  end,
}

-- :KonfigTrust: trusts the workspace of bufnr (the current buffer by
-- default) for this session and tells its server, which evaluates from
-- then on (policy diagnostics of the open files arrive without a restart).
-- Creates a stack (kind "stack", the default) or a project in dir,
-- relative to the workspace, shaped like a sibling: the server plans the
-- files and Neovim creates them through the workspace edit it sends; the
-- new main.k is opened.
function M.new_stack(dir, kind)
  if dir == nil or dir == '' then
    vim.notify('KonfigNewStack: give the directory, e.g. :KonfigNewStack appops/wordpress/staging', vim.log.levels.ERROR)
    return
  end
  local c = nil
  for _, client in pairs(vim.lsp.get_active_clients()) do
    if client.name == 'konfig-lsp' then
      c = client
    end
  end
  if not c then
    vim.notify('KonfigNewStack: konfig-lsp is not running', vim.log.levels.ERROR)
    return
  end
  local params = { command = 'konfig.newStack', arguments = { { dir = dir, kind = kind or 'stack' } } }
  c.request('workspace/executeCommand', params, function(err, result)
    if err then
      vim.notify('konfig.newStack: ' .. (err.message or vim.inspect(err)), vim.log.levels.ERROR)
      return
    end
    local files = (result and result.files) or {}
    for _, f in ipairs(files) do
      if f:match('main%.k$') then
        vim.cmd('edit ' .. vim.fn.fnameescape(f))
        break
      end
    end
    vim.notify(string.format('Konfig: created %d files in %s', #files, dir))
  end)
end

function M.trust(bufnr)
  bufnr = bufnr or vim.api.nvim_get_current_buf()
  local c = client_for(bufnr)
  if not c then
    vim.notify('konfig-lsp is not attached to this buffer', vim.log.levels.ERROR)
    return
  end
  local root = c.config.root_dir
  trusted_roots[root] = true
  c.config.settings = c.config.settings or {}
  c.config.settings.konfig = M.server_settings(root)
  c.notify('workspace/didChangeConfiguration', { settings = c.config.settings })
  vim.notify('konfig: trusted ' .. root)
  M.refresh_lenses()
end

-- Refreshes the code lenses of the current buffer when it is served by
-- konfig-lsp and the codelens option is on.
function M.refresh_lenses()
  if M.config.codelens and client_for(vim.api.nvim_get_current_buf()) then
    vim.lsp.codelens.refresh()
  end
end

function M.setup(opts)
  M.config = vim.tbl_deep_extend('force', M.config, opts or {})
  vim.cmd([[
    augroup konfig_lsp
      autocmd!
      autocmd FileType kcl lua require('konfig').attach(tonumber(vim.fn.expand('<abuf>')))
      autocmd BufEnter,InsertLeave,BufWritePost *.k lua require('konfig').refresh_lenses()
    augroup END
  ]])
  vim.cmd([[command! KonfigPreview lua require('konfig').preview()]])
  vim.cmd([[command! KonfigDiff lua require('konfig').diff()]])
  vim.cmd([[command! KonfigApply lua require('konfig').apply()]])
  vim.cmd([[command! KonfigDestroy lua require('konfig').destroy()]])
  vim.cmd([[command! KonfigTrust lua require('konfig').trust()]])
  vim.cmd([[command! KonfigCheckAffected lua require('konfig').check_affected()]])
  vim.cmd([[command! -nargs=+ -complete=dir KonfigNewStack lua require('konfig').new_stack(<f-args>)]])
end

return M
