-- Open a new line at the end in insert mode, wait for the ghost text, accept it with the keymap (<M-l>).
-- UNMASK_TEST_FALLBACK=1 uses the plugin's 0.11 fallback instead of vim.lsp.inline_completion.
local T = require('unmask_test')
T.run(function()
  local inline = require('unmask.inline')
  inline.force_fallback = vim.env.UNMASK_TEST_FALLBACK == '1'
  inline.debounce_ms = 50
  T.open(vim.env.UNMASK_TEST_FILE)
  local bufnr = vim.api.nvim_get_current_buf()
  local before = T.lines()
  local namespace = inline.force_fallback and inline.namespace
    or vim.api.nvim_create_namespace('nvim.lsp.inline_completion')
  T.feed('Go')
  local ghost = T.wait_for(function()
    local marks = vim.api.nvim_buf_get_extmarks(bufnr, namespace, 0, -1, { details = true })
    return #marks > 0 and marks[1][4]
  end, 'ghost text')
  local mode = vim.fn.mode()
  T.feed('<M-l>')
  local after = T.wait_for(function()
    local lines = T.lines()
    return lines[#lines] ~= '' and lines[#lines]:match('%S') and lines
  end, 'the accepted completion')
  T.feed('<Esc>')
  return {
    before = before,
    after = after,
    mode = mode,
    ghost = ghost.virt_text and ghost.virt_text[1][1] or '',
    native = not inline.force_fallback,
  }
end)
