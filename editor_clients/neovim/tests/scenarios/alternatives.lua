-- :UnmaskAlternatives on line 2; the picker (vim.ui.select, the user's choice) takes the first item.
local T = require('unmask_test')
T.run(function()
  T.open(vim.env.UNMASK_TEST_FILE)
  local before = T.lines()
  local offered
  vim.ui.select = function(items, opts, on_choice)
    offered = vim.tbl_map(opts.format_item, items)
    on_choice(items[1], 1)
  end
  vim.api.nvim_win_set_cursor(0, { 2, 0 })
  vim.cmd('UnmaskAlternatives 2')
  local after = T.wait_changed(before, 'the chosen alternative')
  return { before = before, after = after, offered = offered }
end)
