-- The shared part of the headless Neovim test scripts (e2e.lua, trust.lua),
-- loaded with dofile from the script's own directory: each step prints one
-- line through say; check and fail end Neovim with status 1 after printing
-- FAIL and the reason; run prints PASS when the test body returns.
local M = {}

local out = io.stdout

function M.say(...)
  out:write(table.concat({ ... }, ' ') .. '\n')
  out:flush()
end

function M.fail(msg)
  M.say('FAIL', msg)
  vim.cmd('cquit 1')
end

function M.check(cond, msg)
  if not cond then
    M.fail(msg)
  end
end

-- run runs body; an error in it is a FAIL, its return is PASS.
function M.run(body)
  local ok, err = pcall(body)
  if not ok then
    M.fail(tostring(err))
  end
  M.say('PASS')
  vim.cmd('qall!')
end

return M
