-- With the real model a fill may be refused (no candidate parses): then the buffer must stay as it was and
-- the user must be told. Runs :UnmaskHoles, then :'<,'>UnmaskRegenerate on `a + b`; each waits until the
-- buffer changed or a message was shown.
local T = require('unmask_test')
local function changed_or_told(before, what)
  local seen = #T.events.notify
  local old = table.concat(before, '\n')
  T.wait_for(function()
    return table.concat(T.lines(), '\n') ~= old or #T.events.notify > seen
  end, what)
  return { lines = T.lines(), messages = vim.list_slice(T.events.notify, seen + 1) }
end
T.run(function()
  T.open(vim.env.UNMASK_TEST_FILE)
  local before = T.lines()
  vim.cmd('UnmaskHoles')
  local holes = changed_or_told(before, 'the holes to be filled or a refusal')
  local before_selection = T.lines()
  vim.api.nvim_win_set_cursor(0, { 2, 11 })
  T.feed('v4l:UnmaskRegenerate<CR>')
  local selection = changed_or_told(before_selection, 'the selection to be regenerated or a refusal')
  return { before = before, holes = holes, before_selection = before_selection, selection = selection }
end)
