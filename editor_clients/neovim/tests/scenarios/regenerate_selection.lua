-- Select `a + b` charwise on line 2 and run :'<,'>UnmaskRegenerate as a user would type it; then select
-- `add(1, 2)` on line 10 and use the Visual-mode keymap (<Plug>(unmask-regenerate) via <leader>ur).
local T = require('unmask_test')
T.run(function()
  T.open(vim.env.UNMASK_TEST_FILE)
  local before = T.lines()
  vim.api.nvim_win_set_cursor(0, { 2, 11 })
  T.feed('v4l:UnmaskRegenerate<CR>')
  local after = T.wait_changed(before, 'the regenerated selection')
  vim.api.nvim_win_set_cursor(0, { 10, 10 })
  T.feed('v8l<leader>ur')
  local mapped = T.wait_changed(after, 'the selection regenerated through the keymap')
  local bufnr = vim.api.nvim_get_current_buf()
  T.wait_for(function()
    return (require('unmask.progress').running[bufnr] or 0) == 0
  end, 'the command to finish')
  local status = require('unmask').status()
  return { before = before, after = after, mapped = mapped, mode = vim.fn.mode(), status = status }
end)
