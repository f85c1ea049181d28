-- :UnmaskRegenerate on the node at the cursor, then the keymap with a count of 2 (one node up).
local T = require('unmask_test')
T.run(function()
  T.open(vim.env.UNMASK_TEST_FILE)
  local before = T.lines()
  vim.api.nvim_win_set_cursor(0, { 2, 11 })
  vim.cmd('UnmaskRegenerate')
  local level0 = T.wait_changed(before, 'level 0')
  vim.api.nvim_win_set_cursor(0, { 2, 11 })
  T.feed('2<leader>ur')
  local level1 = T.wait_changed(level0, 'level 1')
  return { before = before, level0 = level0, level1 = level1 }
end)
