-- End-to-end test of konfig-lsp in a real Neovim (0.7.2+), run headless by
-- e2e_test.go:
--
--   KONFIG_LSP=<binary> KONFIG_STACK=<stack dir> \
--     nvim --headless --clean -n -i NONE --cmd 'set rtp+=<editors/nvim>' -c 'luafile e2e.lua'
--
-- It opens the stack's main.k and checks completion inside the Server block,
-- a hover preview, a policy diagnostic after an edit, a quick fix,
-- :KonfigPreview and its scratch buffer (refreshed in place by a second
-- call, commands run in it acting on its stack). Each step prints one line; the last line is PASS or the
-- script exits with status 1 after printing FAIL and the reason.
local lib = dofile(vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h') .. '/lib.lua')
local say, fail, check = lib.say, lib.fail, lib.check

lib.run(function()
  local bin = os.getenv('KONFIG_LSP')
  local stack = os.getenv('KONFIG_STACK')
  check(bin and stack, 'KONFIG_LSP and KONFIG_STACK must be set')
  -- Record notifications (errors of commands, apply summaries).
  local notes = {}
  vim.notify = function(msg, level)
    table.insert(notes, { msg = msg, level = level })
  end
  local function errors()
    local out = {}
    for _, n in ipairs(notes) do
      if n.level == vim.log.levels.ERROR then
        table.insert(out, n.msg)
      end
    end
    return out
  end
  require('konfig').setup({ cmd = { bin, 'serve', '--log-level', os.getenv('KONFIG_LOG') or 'warn' }, settings = { debounceMs = 50 } })
  vim.cmd('edit ' .. stack .. '/main.k')
  local buf = vim.api.nvim_get_current_buf()
  check(vim.bo[buf].filetype == 'kcl', 'filetype is ' .. tostring(vim.bo[buf].filetype))

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
  say('ATTACHED', client.name)

  local lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local function find(pat)
    for i, l in ipairs(lines) do
      local s = l:find(pat, 1, true)
      if s then
        return i - 1, s - 1
      end
    end
    fail('pattern not found: ' .. pat)
  end
  local function request(method, params)
    local res = vim.lsp.buf_request_sync(buf, method, params, 20000)
    check(res, method .. ' timed out')
    for _, r in pairs(res) do
      check(not r.err, method .. ': ' .. vim.inspect(r.err))
      return r.result
    end
  end
  local uri = vim.uri_from_bufnr(buf)

  -- 1. Completion inside the Server block, on a new line after the image.
  local iline = find('image = ')
  vim.api.nvim_buf_set_lines(buf, iline + 1, iline + 1, false, { '    ' })
  local result = request('textDocument/completion', { textDocument = { uri = uri }, position = { line = iline + 1, character = 4 } })
  local items = result.items or result
  local labels = {}
  for _, it in ipairs(items) do
    labels[it.label] = true
  end
  check(labels['replicas'], 'completion lacks replicas')
  check(not labels['image'], 'completion offers image, which is already set')
  say('COMPLETION', 'replicas', 'ports', tostring(labels['ports'] ~= nil))
  vim.api.nvim_buf_set_lines(buf, iline + 1, iline + 2, false, {})
  lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)

  -- 2. Hover on the instance name previews its resources.
  local hl, hc = find(': frontend.Server')
  -- The server answers a hover at once: while the stack is still being
  -- evaluated it says so ("Preview: evaluating"), so hover again until the
  -- preview is there.
  local value = ''
  vim.wait(30000, function()
    local hover = request('textDocument/hover', { textDocument = { uri = uri }, position = { line = hl, character = 1 } })
    value = hover and hover.contents and (hover.contents.value or hover.contents) or ''
    return type(value) ~= 'string' or not value:find('Preview: evaluating', 1, true)
  end, 100)
  check(type(value) == 'string' and value:find('kind: Deployment', 1, true), 'hover lacks the Deployment preview: ' .. vim.inspect(value))
  check(not value:find('s3cr3t', 1, true), 'hover shows a secret value')
  say('HOVER', 'preview with Deployment')

  -- 3. A policy diagnostic after an edit: the latest tag is not allowed.
  iline = find('image = ')
  local old = lines[iline + 1]
  local new = old:gsub(':[%w%.%-]+"', ':latest"')
  vim.api.nvim_buf_set_lines(buf, iline, iline + 1, false, { new })
  local want = 'the latest tag is not allowed'
  local found
  check(vim.wait(30000, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.message:find(want, 1, true) then
        found = d
        return true
      end
    end
    return false
  end, 50), 'no policy diagnostic: ' .. vim.inspect(vim.diagnostic.get(buf)))
  check(found.lnum == iline, 'policy diagnostic on line ' .. found.lnum .. ', want ' .. iline)
  say('POLICY', found.lnum, want)
  vim.api.nvim_buf_set_lines(buf, iline, iline + 1, false, { old })
  check(vim.wait(30000, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.message:find(want, 1, true) then
        return false
      end
    end
    return true
  end, 50), 'the policy diagnostic stayed after the fix')
  say('POLICY_CLEARED')

  -- 4. A quick fix: a misspelled attribute gets a did-you-mean.
  vim.api.nvim_buf_set_lines(buf, iline + 1, iline + 1, false, { '    replicsa = 2' })
  local typo
  check(vim.wait(30000, function()
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.message:find('replicsa', 1, true) then
        typo = d
        return true
      end
    end
    return false
  end, 50), 'no diagnostic for the misspelled attribute: ' .. vim.inspect(vim.diagnostic.get(buf)))
  local lsp_diag = {
    range = { start = { line = typo.lnum, character = typo.col }, ['end'] = { line = typo.end_lnum, character = typo.end_col } },
    message = typo.message,
    severity = typo.severity,
  }
  local actions = request('textDocument/codeAction', {
    textDocument = { uri = uri },
    range = lsp_diag.range,
    context = { diagnostics = { lsp_diag } },
  })
  local fix
  for _, a in ipairs(actions or {}) do
    if a.title:find("to 'replicas'", 1, true) then
      fix = a
    end
  end
  check(fix, 'no did-you-mean fix: ' .. vim.inspect(actions))
  vim.lsp.util.apply_workspace_edit(fix.edit, 'utf-16')
  local fixed = vim.api.nvim_buf_get_lines(buf, iline + 1, iline + 2, false)[1]
  check(fixed == '    replicas = 2', 'after the fix the line is ' .. vim.inspect(fixed))
  say('QUICKFIX', fix.title)
  vim.api.nvim_buf_set_lines(buf, iline + 1, iline + 2, false, {})

  -- 5. :KonfigPreview opens the rendered resources in a split that takes
  -- the focus.
  local function named(prefix)
    local out = {}
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_get_name(b):find(prefix, 1, true) == 1 then
        table.insert(out, b)
      end
    end
    return out
  end
  local function text_of(b)
    return table.concat(vim.api.nvim_buf_get_lines(b, 0, -1, false), '\n')
  end
  local wins = #vim.api.nvim_tabpage_list_wins(0)
  vim.cmd('KonfigPreview')
  local pbuf
  check(vim.wait(30000, function()
    pbuf = named('konfig://preview/')[1]
    return pbuf ~= nil
  end, 50), ':KonfigPreview opened nothing; errors: ' .. vim.inspect(errors()))
  local pname = vim.api.nvim_buf_get_name(pbuf)
  check(pname == 'konfig://preview/shop/dev', 'preview buffer name ' .. pname)
  local text = text_of(pbuf)
  check(text:find('kind: Deployment', 1, true), ':KonfigPreview buffer lacks the Deployment: ' .. text:sub(1, 400))
  check(vim.bo[pbuf].filetype == 'yaml', 'preview filetype is ' .. vim.bo[pbuf].filetype)
  check(vim.api.nvim_get_current_buf() == pbuf, 'the preview window does not have the focus')
  check(#vim.api.nvim_tabpage_list_wins(0) == wins + 1, 'windows: ' .. #vim.api.nvim_tabpage_list_wins(0) .. ', want ' .. (wins + 1))
  say('PREVIEW', 'kind: Deployment')

  -- 6. A second :KonfigPreview of the same stack (from main.k, after an
  -- edit) refreshes that buffer in its window: no E95, no second buffer or
  -- window.
  vim.cmd('wincmd p')
  check(vim.api.nvim_get_current_buf() == buf, 'wincmd p did not return to main.k')
  lines = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  iline = find('image = ')
  vim.api.nvim_buf_set_lines(buf, iline, iline + 1, false, { (lines[iline + 1]:gsub(':[%w%.%-]+"', ':9.9.9-e2e"')) })
  vim.cmd('KonfigPreview')
  check(vim.wait(30000, function()
    return text_of(pbuf):find(':9.9.9-e2e', 1, true) ~= nil
  end, 50), 'the second :KonfigPreview did not refresh the buffer; errors: ' .. vim.inspect(errors()) .. '; v:errmsg ' .. vim.v.errmsg)
  check(#named('konfig://preview/') == 1, 'preview buffers: ' .. #named('konfig://preview/'))
  check(#vim.fn.win_findbuf(pbuf) == 1, 'the preview shows in ' .. #vim.fn.win_findbuf(pbuf) .. ' windows')
  check(#vim.api.nvim_tabpage_list_wins(0) == wins + 1, 'a second window opened')
  check(vim.api.nvim_get_current_buf() == pbuf, 'the focus is not on the refreshed preview')
  check(#errors() == 0, 'errors: ' .. vim.inspect(errors()))
  say('PREVIEW_AGAIN', 'refreshed in place')

  -- 7. Commands run in the scratch buffer act on the stack it shows: a
  -- :KonfigPreview there refreshes it (after another edit of main.k), and
  -- :KonfigApply there reaches the engine (no cluster here: the error names
  -- it) instead of saying "not attached".
  iline = find('image = ')
  vim.api.nvim_buf_set_lines(buf, iline, iline + 1, false, { (lines[iline + 1]:gsub(':[%w%.%-]+"', ':9.9.10-e2e"')) })
  vim.cmd('KonfigPreview')
  check(vim.wait(30000, function()
    return text_of(pbuf):find(':9.9.10-e2e', 1, true) ~= nil
  end, 50), ':KonfigPreview in the preview buffer did not refresh it; errors: ' .. vim.inspect(errors()))
  check(#named('konfig://preview/') == 1 and #vim.api.nvim_tabpage_list_wins(0) == wins + 1, 'a second preview buffer or window')
  check(vim.api.nvim_buf_get_var(pbuf, 'konfig_stack') == vim.fn.fnamemodify(stack, ':p'):gsub('/$', ''), 'b:konfig_stack ' .. vim.inspect(vim.api.nvim_buf_get_var(pbuf, 'konfig_stack')))
  vim.cmd('KonfigApply')
  check(vim.wait(30000, function()
    return #errors() > 0
  end, 50), ':KonfigApply in the preview buffer reported nothing')
  local e = errors()[1]
  check(e:find('konfig.apply: ', 1, true) == 1 and e:find('cluster', 1, true) and not e:find('not attached', 1, true), ':KonfigApply in the preview buffer: ' .. e)
  say('SCRATCH_COMMANDS', 'preview refreshed, apply reached the engine')

  -- 8. A preview of another stack called dev gets a buffer of its own.
  notes = {}
  vim.cmd('split ' .. vim.fn.fnamemodify(stack, ':h:h') .. '/blog/dev/main.k')
  check(vim.wait(20000, function()
    return #vim.lsp.buf_get_clients(0) > 0
  end, 50), 'blog/dev/main.k: the client never attached')
  vim.cmd('KonfigPreview')
  local bbuf
  check(vim.wait(30000, function()
    for _, b in ipairs(named('konfig://preview/')) do
      if vim.api.nvim_buf_get_name(b) == 'konfig://preview/blog/dev' then
        bbuf = b
      end
    end
    return bbuf ~= nil
  end, 50), 'no konfig://preview/blog/dev; buffers ' .. vim.inspect(vim.tbl_map(vim.api.nvim_buf_get_name, named('konfig://'))) .. ' errors ' .. vim.inspect(errors()))
  check(#named('konfig://preview/') == 2, 'preview buffers: ' .. #named('konfig://preview/'))
  check(text_of(pbuf):find(':9.9.10-e2e', 1, true), 'the shop/dev preview changed')
  say('PREVIEW_OTHER_STACK', vim.api.nvim_buf_get_name(bbuf))

  -- 9. The apply/destroy message is the server's summary, not the table.
  local konfig = require('konfig')
  local msg, level = konfig.summary({ stack = '/x', title = 'Apply shop/dev', text = 'ID  Action\nPlan: 1 to create', summary = '1 created, 0 updated, 0 deleted, 0 unchanged' })
  check(msg == 'Apply shop/dev: 1 created, 0 updated, 0 deleted, 0 unchanged' and level == vim.log.levels.INFO, 'summary message ' .. vim.inspect(msg))
  msg, level = konfig.summary({ title = 'Destroy shop/dev', text = 'table', summary = 'cancelled' })
  check(msg == 'Destroy shop/dev: cancelled' and level == vim.log.levels.WARN, 'cancelled message ' .. vim.inspect(msg))
  say('SUMMARY')

  -- 10. Settings reach the server as a JSON object, also when empty (an
  -- empty Lua table encodes as [], which the server rejects), with the
  -- workspace trust (default true), and the server took the ones given here.
  local given = konfig.config.settings
  konfig.config.settings = {}
  check(vim.json.encode(konfig.server_settings()) == '{"trusted":true}', 'empty settings encode as ' .. vim.json.encode(konfig.server_settings()))
  konfig.config.settings = given
  local sent = vim.json.decode(vim.json.encode(konfig.server_settings()))
  check(vim.deep_equal(sent, { debounceMs = 50, trusted = true }), 'settings encode as ' .. vim.json.encode(konfig.server_settings()))
  check(vim.deep_equal(client.config.init_options, { debounceMs = 50, trusted = true }), 'init_options: ' .. vim.inspect(client.config.init_options))
  local logf = io.open(vim.lsp.get_log_path(), 'r')
  local log = logf and logf:read('*a') or ''
  if logf then
    logf:close()
  end
  check(not log:find('malformed', 1, true), 'the server rejected settings: ' .. log:sub(1, 800))
  say('SETTINGS')

  -- 11. The code lenses of main.k show (refreshed on entering it) and run
  -- through the plugin: "Preview resources" refreshes the preview buffer.
  vim.api.nvim_set_current_win(vim.fn.win_findbuf(buf)[1])
  local titles
  check(vim.wait(30000, function()
    titles = {}
    for _, l in ipairs(vim.lsp.codelens.get(buf)) do
      table.insert(titles, l.command and l.command.title)
    end
    return #titles >= 3
  end, 50), 'code lenses: ' .. vim.inspect(titles))
  check(table.concat(titles, ' | ') == 'Preview resources | Preview diff | Apply', 'code lenses: ' .. vim.inspect(titles))
  iline = find('image = ')
  vim.api.nvim_buf_set_lines(buf, iline, iline + 1, false, { (lines[iline + 1]:gsub(':[%w%.%-]+"', ':9.9.11-lens"')) })
  vim.ui.select = function(items, opts, on_choice)
    for _, it in ipairs(items) do
      if opts.format_item(it) == 'Preview resources' then
        return on_choice(it)
      end
    end
    on_choice(nil)
  end
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  notes = {}
  vim.lsp.codelens.run()
  check(vim.wait(30000, function()
    return text_of(pbuf):find(':9.9.11-lens', 1, true) ~= nil
  end, 50), 'the Preview resources lens did not refresh the preview; notes: ' .. vim.inspect(notes))
  check(vim.api.nvim_get_current_buf() == pbuf and #named('konfig://preview/') == 2, 'the lens opened another buffer')
  say('CODELENS', table.concat(titles, ' | '))
end)
