-- Select `a + b` charwise on line 2 and run :'<,'>UnmaskRegenerate as a user would type it.
local T = require('unmask_test')
T.run(function()
  T.open(vim.env.UNMASK_TEST_FILE)
  local before = T.lines()
  vim.api.nvim_win_set_cursor(0, { 2, 11 })
  T.feed('v4l:UnmaskRegenerate<CR>')
  local after = T.wait_changed(before, 'the regenerated selection')
  return { before = before, after = after, status = require('unmask').status() }
end)
