-- Workspace trust in a real Neovim (0.7.2+), run headless by e2e_test.go
-- (TestNeovimUntrusted), as e2e.lua:
--
--   KONFIG_LSP=<binary> KONFIG_STACK=<stack dir> \
--     nvim --headless --clean -n -i NONE --cmd 'set rtp+=<editors/nvim>' -c 'luafile trust.lua'
--
-- The `trusted` option (here a function that distrusts the stack's root)
-- reaches the server in init_options; the server then evaluates nothing:
-- no policy diagnostic while the resolver's still arrive, a note instead of
-- the hover preview, :KonfigPreview refused. :KonfigTrust turns evaluation
-- on without a restart: the policy diagnostic arrives. Each step prints one
-- line; the last line is PASS, or the script exits with status 1 after
-- printing FAIL and the reason.
local lib = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/lib.lua')
local say, fail, check = lib.say, lib.fail, lib.check

lib.run(function()
  local bin = os.getenv('KONFIG_LSP')
  local stack = os.getenv('KONFIG_STACK')
  check(bin and stack, 'KONFIG_LSP and KONFIG_STACK must be set')
  local notes = {}
  vim.notify = function(msg, level)
    table.insert(notes, { msg = msg, level = level })
  end
  local konfig = require('konfig')

  -- 1. The option's forms: nil and true trust; false, anything else and a
  -- failing function do not; a function decides per root.
  for _, c in ipairs({
    { nil, true },
    { true, true },
    { false, false },
    { 'yes', false },
    { function(root)
      return root == '/mine'
    end, true, '/mine' },
    { function(root)
      return root == '/mine'
    end, false, '/theirs' },
    { function()
      error('boom')
    end, false },
  }) do
    konfig.config.trusted = c[1]
    check(konfig.is_trusted(c[3] or '/r') == c[2], 'is_trusted for ' .. vim.inspect(c[1]) .. ' ' .. tostring(c[3]))
    check(konfig.server_settings(c[3] or '/r').trusted == c[2], 'server_settings().trusted for ' .. vim.inspect(c[1]))
  end
  say('OPTION')

  local asked = {}
  konfig.setup({
    cmd = { bin, 'serve', '--log-level', os.getenv('KONFIG_LOG') or 'warn' },
    settings = { debounceMs = 50 },
    trusted = function(root)
      table.insert(asked, root)
      return false
    end,
  })
  vim.cmd('edit ' .. stack .. '/main.k')
  local buf = vim.api.nvim_get_current_buf()
  local client
  check(vim.wait(20000, function()
    for _, c in pairs(vim.lsp.buf_get_clients(buf)) do
      if c.name == 'konfig-lsp' and c.initialized then
        client = c
        return true
      end
    end
    return false
  end, 50), 'the client never attached')
  check(vim.deep_equal(client.config.init_options, { debounceMs = 50, trusted = false }), 'init_options: ' .. vim.inspect(client.config.init_options))
  check(client.config.settings.konfig.trusted == false, 'settings: ' .. vim.inspect(client.config.settings))
  check(#asked > 0 and asked[1] == client.config.root_dir, 'the trusted function was asked for ' .. vim.inspect(asked) .. ', root ' .. client.config.root_dir)
  say('INIT_OPTIONS', vim.json.encode(client.config.init_options))

  local function find(pat)
    for i, l in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
      local s = l:find(pat, 1, true)
      if s then
        return i - 1, s - 1
      end
    end
    fail('pattern not found: ' .. pat)
  end
  local function has_diag(want)
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.message:find(want, 1, true) then
        return true
      end
    end
    return false
  end
  local function wait_diag(cond, what)
    check(vim.wait(30000, cond, 50), what .. ': ' .. vim.inspect(vim.diagnostic.get(buf)))
  end
  local latest = 'the latest tag is not allowed'

  -- 2. A failing check (the latest tag) and a misspelled attribute: the
  -- resolver's diagnostic arrives, the policy one does not; nor once the
  -- typo is gone (that run compiles nothing either).
  local iline = find('image = ')
  local old = vim.api.nvim_buf_get_lines(buf, iline, iline + 1, false)[1]
  vim.api.nvim_buf_set_lines(buf, iline, iline + 1, false, { (old:gsub(':[%w%.%-]+"', ':latest"')), '    replicsa = 2' })
  wait_diag(function()
    return has_diag('replicsa')
  end, 'no diagnostic for the misspelled attribute')
  check(not has_diag(latest), 'a policy diagnostic in an untrusted workspace')
  vim.api.nvim_buf_set_lines(buf, iline + 1, iline + 2, false, {})
  wait_diag(function()
    return not has_diag('replicsa')
  end, 'the misspelled attribute stayed')
  check(not has_diag(latest), 'a policy diagnostic in an untrusted workspace')
  say('NO_POLICY')

  -- 3. Hover on the instance: a note instead of the preview.
  local uri = vim.uri_from_bufnr(buf)
  local hl = find('storefront:')
  local res = vim.lsp.buf_request_sync(buf, 'textDocument/hover', { textDocument = { uri = uri }, position = { line = hl, character = 2 } }, 20000)
  local value = ''
  for _, r in pairs(res or {}) do
    value = r.result and r.result.contents and (r.result.contents.value or r.result.contents) or ''
  end
  check(type(value) == 'string' and value:find('needs a trusted workspace', 1, true) and not value:find('kind: Deployment', 1, true), 'hover: ' .. vim.inspect(value))
  say('HOVER_NOTE')

  -- 4. :KonfigPreview is refused, saying why; the one lens says so.
  notes = {}
  vim.cmd('KonfigPreview')
  local refusal
  check(vim.wait(20000, function()
    for _, n in ipairs(notes) do
      if n.level == vim.log.levels.ERROR and n.msg:find('konfig.preview needs a trusted workspace', 1, true) then
        refusal = n.msg
        return true
      end
    end
    return false
  end, 50), ':KonfigPreview was not refused: ' .. vim.inspect(notes))
  local lenses = vim.lsp.buf_request_sync(buf, 'textDocument/codeLens', { textDocument = { uri = uri } }, 20000)
  local titles = {}
  for _, r in pairs(lenses or {}) do
    for _, l in ipairs(r.result or {}) do
      table.insert(titles, l.command and l.command.title)
    end
  end
  check(table.concat(titles, ' | ') == 'Preview and apply need a trusted workspace', 'code lenses: ' .. vim.inspect(titles))
  say('REFUSED', (refusal:gsub('\n.*', '')))

  -- 5. :KonfigTrust: the policy diagnostic arrives without a restart.
  vim.cmd('KonfigTrust')
  check(client.config.settings.konfig.trusted == true, 'settings after :KonfigTrust: ' .. vim.inspect(client.config.settings))
  wait_diag(function()
    return has_diag(latest)
  end, 'no policy diagnostic after :KonfigTrust')
  check(vim.lsp.get_client_by_id(client.id) == client and not client.is_stopped(), 'the client was restarted')
  say('TRUSTED_POLICY')
end)
