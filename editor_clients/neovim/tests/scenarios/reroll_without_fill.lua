-- :UnmaskReroll before any fill: the server refuses (invalid params) and the user gets a warning.
local T = require('unmask_test')
T.run(function()
  T.open(vim.env.UNMASK_TEST_FILE)
  local bufnr = vim.api.nvim_get_current_buf()
  vim.cmd('UnmaskReroll')
  T.wait_for(function()
    return (require('unmask.progress').running[bufnr] or 0) == 0
  end, 'the re-roll answer')
  return { messages = T.events.notify, lines = T.lines() }
end)
