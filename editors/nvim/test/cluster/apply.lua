-- The Neovim plugin's :KonfigDiff, :KonfigApply and :KonfigDestroy against a
-- real test cluster, run headless by cluster_test.go:
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

  -- 1. :KonfigDiff opens the diff: everything is created.
  vim.cmd('KonfigDiff')
  local dbuf
  check(vim.wait(30000, function()
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_get_name(b):find('konfig://diff', 1, true) then
        dbuf = b
        return true
      end
    end
    return false
  end, 50), ':KonfigDiff opened nothing; notes: ' .. vim.inspect(notes))
  local text = table.concat(vim.api.nvim_buf_get_lines(dbuf, 0, -1, false), '\n')
  check(text:find('Deployment:[%w-]+:[%w-]+%s+Create') ~= nil, 'the diff does not create the Deployment: ' .. text:sub(1, 600))
  check(text:find('Plan: %d+ to create, 0 to update') ~= nil, 'the diff plan: ' .. text:sub(1, 600))
  say('DIFF', 'Create')
  -- The diff opened in a split and took the focus: back to main.k, as a user would.
  vim.cmd('wincmd p')
  check(vim.api.nvim_get_current_buf() == buf, 'not back in main.k')

  -- 2. :KonfigApply, declined: the question was asked, nothing exists.
  answer = 2 -- Cancel
  vim.cmd('KonfigApply')
  check(vim.wait(30000, function()
    return #notes > 0
  end, 50), 'a declined :KonfigApply reported nothing')
  check(#asked == 1 and asked[1]:find('Apply stack', 1, true), 'questions: ' .. vim.inspect(asked) .. ' notes: ' .. vim.inspect(notes))
  check(deployments() == '', 'a declined apply created ' .. deployments())
  say('APPLY_DECLINED')

  -- 3. :KonfigApply, accepted: progress begin … end, the Deployment exists.
  answer, asked, notes, progress = 1, {}, {}, {}
  vim.cmd('KonfigApply')
  check(vim.wait(60000, function()
    return #notes > 0
  end, 50), ':KonfigApply reported nothing')
  check(#asked == 1, 'questions: ' .. vim.inspect(asked))
  check(progress[1] == 'begin' and progress[#progress] == 'end', 'progress kinds: ' .. vim.inspect(progress))
  check(deployments() ~= '', 'no Deployment after apply; notes: ' .. vim.inspect(notes))
  say('APPLY', (deployments():gsub('\n', ' ')), #progress .. ' progress notifications')

  -- 4. :KonfigDestroy, accepted: the Deployment is gone.
  answer, asked, notes, progress = 1, {}, {}, {}
  vim.cmd('KonfigDestroy')
  check(vim.wait(60000, function()
    return #notes > 0
  end, 50), ':KonfigDestroy reported nothing')
  check(#asked == 1 and asked[1]:find('Destroy stack', 1, true), 'questions: ' .. vim.inspect(asked))
  check(progress[1] == 'begin' and progress[#progress] == 'end', 'progress kinds: ' .. vim.inspect(progress))
  check(deployments() == '', 'left after destroy: ' .. deployments())
  say('DESTROY')
end)
if not ok then
  fail(tostring(err))
end
say('PASS')
vim.cmd('qall!')
