-- The Neovim plugin's :KonfigDiff, :KonfigApply and :KonfigDestroy against a
-- real test cluster, run headless by cluster_test.go: the diff's scratch
-- buffer is refreshed in place by a second :KonfigDiff, commands run in it
-- act on its stack, and apply/destroy report the server's summary.
--
--   KONFIG_LSP=<binary> KONFIG_STACK=<stack dir> KONFIG_KUBECONFIG=<path> KONFIG_KUBECTL=<kubectl> \
--     nvim --headless --clean -n -i NONE --cmd 'set rtp+=<editors/nvim>' -c 'luafile apply.lua'
--
-- The confirmation dialog (vim.fn.confirm, which a headless Neovim cannot
-- answer) is replaced by a stub that records the question and picks the
-- button the step wants; kubectl checks the cluster. Each step prints one
-- line; the last line is PASS, or FAIL and the reason with exit status 1.
local out = io.stdout
local function say(...)
  out:write(table.concat({ ... }, ' ') .. '\n')
  out:flush()
end
local function fail(msg)
  say('FAIL', msg)
  vim.cmd('cquit 1')
end
local function check(cond, msg)
  if not cond then
    fail(msg)
  end
end

local ok, err = pcall(function()
  local bin = os.getenv('KONFIG_LSP')
  local stack = os.getenv('KONFIG_STACK')
  local kubeconfig = os.getenv('KONFIG_KUBECONFIG')
  local kubectl = os.getenv('KONFIG_KUBECTL')
  check(bin and stack and kubeconfig and kubectl, 'KONFIG_LSP, KONFIG_STACK, KONFIG_KUBECONFIG and KONFIG_KUBECTL must be set')

  -- The dialog stub: answer[1] is the button to press (1-based), nil for
  -- "closed"; asked records the questions.
  local answer, asked = nil, {}
  vim.fn.confirm = function(msg, choices, default)
    table.insert(asked, msg)
    return answer or 0
  end
  -- Record notifications (apply and destroy report through vim.notify).
  local notes = {}
  vim.notify = function(msg, level)
    table.insert(notes, msg)
  end
  -- Record $/progress kinds, then let Neovim handle them as usual.
  local progress = {}
  local default_progress = vim.lsp.handlers['$/progress']
  vim.lsp.handlers['$/progress'] = function(e, result, ctx, config)
    if result and result.value then
      table.insert(progress, result.value.kind)
    end
    return default_progress(e, result, ctx, config)
  end

  -- Record what the plugin echoes (the progress lines).
  local echoed = {}
  local nvim_echo = vim.api.nvim_echo
  vim.api.nvim_echo = function(chunks, history, opts)
    local line = {}
    for _, c in ipairs(chunks) do
      table.insert(line, c[1])
    end
    table.insert(echoed, table.concat(line))
    return nvim_echo(chunks, history, opts)
  end

  local function kube(args)
    return vim.fn.system({ kubectl, '--kubeconfig', kubeconfig, unpack(args) })
  end
  local function deployments()
    return vim.trim(kube({ 'get', 'deployments', '--all-namespaces', '-o', 'name' }))
  end

  require('konfig').setup({ cmd = { bin, 'serve' }, settings = { kubeconfig = kubeconfig, debounceMs = 50 } })
  vim.cmd('edit ' .. stack .. '/main.k')
  local buf = vim.api.nvim_get_current_buf()
  check(vim.wait(20000, function()
    for _, c in pairs(vim.lsp.buf_get_clients(buf)) do
      if c.name == 'konfig-lsp' and c.initialized then
        return true
      end
    end
    return false
  end, 50), 'the client never attached')
  say('ATTACHED')
  check(deployments() == '', 'the cluster already has deployments: ' .. deployments())

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
  local function wait_note(ms, what)
    check(vim.wait(ms, function()
      return #notes > 0
    end, 50), what .. ' reported nothing')
    return notes[1]
  end
  local created = '^Apply blog/prod: (%d+) created, 0 updated, 0 deleted, 0 unchanged$'

  -- 1. :KonfigDiff opens the diff in konfig://diff/blog/prod, which takes
  -- the focus: everything is created.
  vim.cmd('KonfigDiff')
  local dbuf
  check(vim.wait(30000, function()
    dbuf = named('konfig://diff/')[1]
    return dbuf ~= nil
  end, 50), ':KonfigDiff opened nothing; notes: ' .. vim.inspect(notes))
  check(vim.api.nvim_buf_get_name(dbuf) == 'konfig://diff/blog/prod', 'diff buffer ' .. vim.api.nvim_buf_get_name(dbuf))
  local text = text_of(dbuf)
  check(text:find('Deployment:[%w-]+:[%w-]+%s+Create') ~= nil, 'the diff does not create the Deployment: ' .. text:sub(1, 600))
  check(text:find('Plan: %d+ to create, 0 to update') ~= nil, 'the diff plan: ' .. text:sub(1, 600))
  check(vim.api.nvim_get_current_buf() == dbuf, 'the diff window does not have the focus')
  say('DIFF', 'Create')

  -- 2. :KonfigApply in the diff buffer (it acts on the stack shown there),
  -- declined: the question was asked, nothing exists, the message says
  -- cancelled.
  answer = 2 -- Cancel
  vim.cmd('KonfigApply')
  local note = wait_note(30000, 'a declined :KonfigApply')
  check(#asked == 1 and asked[1]:find('Apply stack', 1, true), 'questions: ' .. vim.inspect(asked) .. ' notes: ' .. vim.inspect(notes))
  check(note == 'Apply blog/prod: cancelled', 'declined apply said ' .. vim.inspect(note))
  check(deployments() == '', 'a declined apply created ' .. deployments())
  say('APPLY_DECLINED')

  -- 3. :KonfigApply in the diff buffer, accepted: progress begin … end, the
  -- Deployment exists, the message is the server's summary (not the table,
  -- which was the question).
  answer, asked, notes, progress, echoed = 1, {}, {}, {}, {}
  vim.cmd('KonfigApply')
  note = wait_note(60000, ':KonfigApply')
  check(#asked == 1 and asked[1]:find('Plan:', 1, true), 'questions: ' .. vim.inspect(asked))
  check(progress[1] == 'begin' and progress[#progress] == 'end', 'progress kinds: ' .. vim.inspect(progress))
  check(deployments() ~= '', 'no Deployment after apply; notes: ' .. vim.inspect(notes))
  local n = note:match(created)
  check(n and tonumber(n) > 0, 'apply said ' .. vim.inspect(note))
  check(#notes == 1, 'notes: ' .. vim.inspect(notes))
  local reports = vim.tbl_filter(function(l)
    return l:find('^konfig: Apply blog/prod %d+%% ') ~= nil
  end, echoed)
  check(#reports > 0, 'no progress echoed: ' .. vim.inspect(echoed))
  check(echoed[#echoed] == 'konfig: Apply blog/prod ' .. note:sub(#'Apply blog/prod: ' + 1), 'last progress line ' .. vim.inspect(echoed[#echoed]))
  say('APPLY', (deployments():gsub('\n', ' ')), #progress .. ' progress notifications', note)

  -- 4. The apply refreshed the diff buffer: nothing to create any more.
  local unchanged = 'Plan: 0 to create, 0 to update, 0 to delete, ' .. n .. ' unchanged'
  check(vim.wait(30000, function()
    return text_of(dbuf):find(unchanged, 1, true) ~= nil
  end, 50), 'the diff was not refreshed after the apply: ' .. text_of(dbuf):sub(1, 600) .. ' notes: ' .. vim.inspect(notes))
  say('DIFF_REFRESHED', n .. ' unchanged')

  -- 5. A second :KonfigDiff (run in the diff buffer) refreshes the same
  -- buffer in its window.
  local wins = #vim.api.nvim_tabpage_list_wins(0)
  local tick = vim.api.nvim_buf_get_changedtick(dbuf)
  notes = {}
  vim.cmd('KonfigDiff')
  check(vim.wait(30000, function()
    return vim.api.nvim_buf_get_changedtick(dbuf) > tick
  end, 50), 'the second :KonfigDiff did not refresh the buffer; notes: ' .. vim.inspect(notes))
  check(text_of(dbuf):find(unchanged, 1, true), 'second diff: ' .. text_of(dbuf):sub(1, 600))
  check(#named('konfig://diff/') == 1 and #vim.api.nvim_tabpage_list_wins(0) == wins, 'a second diff buffer or window')
  check(vim.api.nvim_get_current_buf() == dbuf, 'the focus left the diff')
  check(#notes == 0, 'notes: ' .. vim.inspect(notes))
  say('DIFF_AGAIN', n .. ' unchanged')

  -- 6. Apply again, through the "Apply" code lens of main.k: nothing to do,
  -- nothing asked.
  vim.cmd('wincmd p')
  check(vim.api.nvim_get_current_buf() == buf, 'not back in main.k')
  local titles
  check(vim.wait(30000, function()
    titles = {}
    for _, l in ipairs(vim.lsp.codelens.get(buf)) do
      table.insert(titles, l.command and l.command.title)
    end
    return vim.tbl_contains(titles, 'Apply')
  end, 50), 'no Apply lens: ' .. vim.inspect(titles))
  vim.ui.select = function(items, opts, on_choice)
    for _, it in ipairs(items) do
      if opts.format_item(it) == 'Apply' then
        return on_choice(it)
      end
    end
    on_choice(nil)
  end
  vim.api.nvim_win_set_cursor(0, { 1, 0 })
  answer, asked, notes, progress = 1, {}, {}, {}
  vim.lsp.codelens.run()
  note = wait_note(30000, 'the Apply lens')
  check(note == 'Apply blog/prod: nothing to do' and #asked == 0, 'second apply: ' .. vim.inspect(note) .. ' questions ' .. vim.inspect(asked))
  say('APPLY_AGAIN', note)

  -- 7. :KonfigDestroy from main.k, accepted: the Deployment is gone, the
  -- message is the summary, the diff (in the other window) is refreshed
  -- and the focus stays in main.k.
  answer, asked, notes, progress = 1, {}, {}, {}
  vim.cmd('KonfigDestroy')
  note = wait_note(60000, ':KonfigDestroy')
  check(#asked == 1 and asked[1]:find('Destroy stack', 1, true), 'questions: ' .. vim.inspect(asked))
  check(progress[1] == 'begin' and progress[#progress] == 'end', 'progress kinds: ' .. vim.inspect(progress))
  check(deployments() == '', 'left after destroy: ' .. deployments())
  check(note == 'Destroy blog/prod: 0 created, 0 updated, ' .. n .. ' deleted, 0 unchanged', 'destroy said ' .. vim.inspect(note))
  -- (The namespace may still be terminating: the plan need not create
  -- everything, but it is no longer the applied one.)
  check(vim.wait(30000, function()
    local t = text_of(dbuf)
    return not t:find(unchanged, 1, true) and t:find('%sCreate%s') ~= nil
  end, 50), 'the diff was not refreshed after the destroy: ' .. text_of(dbuf):sub(1, 600))
  check(vim.api.nvim_get_current_buf() == buf, 'the refresh took the focus from main.k')
  say('DESTROY', note)
end)
if not ok then
  fail(tostring(err))
end
say('PASS')
vim.cmd('qall!')
