-- :UnmaskHoles fills every hole; :UnmaskReroll right after re-generates the fill's uncertain tokens.
local T = require('unmask_test')
T.run(function()
  T.open(vim.env.UNMASK_TEST_FILE)
  local bufnr = vim.api.nvim_get_current_buf()
  local before = T.lines()
  vim.cmd('UnmaskHoles')
  local filled = T.wait_changed(before, 'the holes to be filled')
  local progress = require('unmask.progress')
  T.wait_for(function()
    return (progress.running[bufnr] or 0) == 0
  end, 'the fill command to finish')
  local notified = #T.events.notify
  vim.cmd('UnmaskReroll')
  T.wait_for(function()
    return (progress.running[bufnr] or 0) == 0
  end, 'the re-roll to finish')
  return {
    before = before,
    filled = filled,
    rerolled = T.lines(),
    reroll_messages = vim.list_slice(T.events.notify, notified + 1),
    marks_after = #vim.api.nvim_buf_get_extmarks(bufnr, progress.namespace, 0, -1, {}),
  }
end)
