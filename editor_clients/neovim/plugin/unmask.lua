-- Commands and <Plug> mappings only; everything is loaded on first use.
if vim.g.loaded_unmask then
  return
end
vim.g.loaded_unmask = true

local function unmask()
  return require('unmask')
end

vim.api.nvim_create_user_command('UnmaskRegenerate', function(cmd)
  unmask().regenerate_command(cmd)
end, {
  range = true,
  nargs = '?',
  desc = 'unmask: regenerate the selected range, or the syntax node at the cursor ([N]: N levels up)',
})
vim.api.nvim_create_user_command('UnmaskHoles', function()
  unmask().fill_holes()
end, { desc = 'unmask: fill every hole in the buffer' })
vim.api.nvim_create_user_command('UnmaskAlternatives', function(cmd)
  unmask().alternatives_command(cmd)
end, { range = true, nargs = '?', desc = 'unmask: pick one of N rewrites of the range (or the line)' })
vim.api.nvim_create_user_command('UnmaskReroll', function()
  unmask().reroll()
end, { desc = 'unmask: re-generate the low-confidence tokens of the last fill' })

vim.keymap.set('n', '<Plug>(unmask-regenerate)', function()
  unmask().regenerate_node({ level = vim.v.count1 - 1 })
end, { desc = 'unmask: regenerate the node at the cursor ([count] grows it)' })
vim.keymap.set('x', '<Plug>(unmask-regenerate)', function()
  unmask().regenerate_visual()
end, { desc = 'unmask: regenerate the selection' })
vim.keymap.set('n', '<Plug>(unmask-holes)', function()
  unmask().fill_holes()
end, { desc = 'unmask: fill holes' })
vim.keymap.set({ 'n', 'x' }, '<Plug>(unmask-alternatives)', function()
  unmask().alternatives_visual_or_line()
end, { desc = 'unmask: alternatives' })
vim.keymap.set('n', '<Plug>(unmask-reroll)', function()
  unmask().reroll()
end, { desc = 'unmask: re-roll uncertain tokens' })
vim.keymap.set('i', '<Plug>(unmask-accept)', function()
  unmask().accept()
end, { desc = 'unmask: accept the inline completion' })
