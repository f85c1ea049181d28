--- Inline completion (ghost text). Neovim 0.12+: the built-in `vim.lsp.inline_completion`, enabled for the
--- unmask client's buffers. Neovim 0.11: a small fallback that asks for `textDocument/inlineCompletion`
--- after a pause in insert mode, shows the first item as virtual text and inserts it on `accept()`.
local M = {}

--- Use the fallback even where the built-in exists (for tests, or if the built-in misbehaves).
M.force_fallback = false
--- Milliseconds of no typing before the fallback asks the server.
M.debounce_ms = 300

M.namespace = vim.api.nvim_create_namespace('unmask.inline')

local function native()
  return vim.lsp.inline_completion ~= nil and not M.force_fallback
end

--- Per buffer: the item the fallback shows, and the changedtick it was computed for.
---@type table<integer, { item: table, client_id: integer, tick: integer }>
M.shown = {}

local timers = {} ---@type table<integer, uv.uv_timer_t>

local function hide(bufnr)
  M.shown[bufnr] = nil
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, M.namespace, 0, -1)
  end
end

local function show(bufnr, client, item)
  local text = type(item.insertText) == 'table' and item.insertText.value or item.insertText
  if type(text) ~= 'string' or text == '' then
    return
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local row, col = cursor[1] - 1, cursor[2]
  local line = vim.api.nvim_buf_get_lines(bufnr, row, row + 1, false)[1] or ''
  -- The item may replace a range that starts before the cursor: show only what is new after it.
  local typed = ''
  if item.range and item.range.start.line == row then
    local start = vim.str_byteindex(line, client.offset_encoding, item.range.start.character, false)
    typed = line:sub(start + 1, col)
  end
  if typed ~= '' and text:sub(1, #typed) == typed then
    text = text:sub(#typed + 1)
  end
  local lines = vim.split(text, '\n', { plain = true })
  local virt_lines = {}
  for i = 2, #lines do
    virt_lines[#virt_lines + 1] = { { lines[i], 'ComplHint' } }
  end
  vim.api.nvim_buf_clear_namespace(bufnr, M.namespace, 0, -1)
  vim.api.nvim_buf_set_extmark(bufnr, M.namespace, row, math.min(col, #line), {
    virt_text = { { lines[1], 'ComplHint' } },
    virt_text_pos = 'inline',
    virt_lines = #virt_lines > 0 and virt_lines or nil,
  })
  M.shown[bufnr] = { item = item, client_id = client.id, tick = vim.api.nvim_buf_get_changedtick(bufnr) }
end

--- Fallback: ask the server for a completion at the cursor now and show it.
---@param bufnr? integer
---@param on_shown? fun(shown: boolean)
function M.request(bufnr, on_shown)
  bufnr = (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
  local client = require('unmask').client(bufnr)
  if not client then
    return on_shown and on_shown(false)
  end
  local tick = vim.api.nvim_buf_get_changedtick(bufnr)
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  params.context = { triggerKind = 1 }
  client:request('textDocument/inlineCompletion', params, function(err, result)
    local items = not err and type(result) == 'table' and (result.items or result) or {}
    -- Typing went on while the model worked: this item is for text that is gone.
    if #items == 0 or vim.api.nvim_buf_get_changedtick(bufnr) ~= tick then
      return on_shown and on_shown(false)
    end
    show(bufnr, client, items[1])
    return on_shown and on_shown(true)
  end, bufnr)
end

local function schedule_request(bufnr)
  local timer = timers[bufnr]
  if timer then
    timer:stop()
  else
    timer = assert(vim.uv.new_timer())
    timers[bufnr] = timer
  end
  timer:start(M.debounce_ms, 0, vim.schedule_wrap(function()
    if vim.api.nvim_get_current_buf() == bufnr and vim.fn.mode():sub(1, 1) == 'i' then
      M.request(bufnr)
    end
  end))
end

--- Insert the shown fallback item; true if there was one.
---@param bufnr integer
---@return boolean
local function accept_fallback(bufnr)
  local shown = M.shown[bufnr]
  hide(bufnr)
  if not shown or shown.tick ~= vim.api.nvim_buf_get_changedtick(bufnr) then
    return false
  end
  local client = vim.lsp.get_client_by_id(shown.client_id)
  if not client then
    return false
  end
  local item = shown.item
  local text = type(item.insertText) == 'table' and item.insertText.value or item.insertText
  local cursor = vim.api.nvim_win_get_cursor(0)
  local range = item.range
  if not range then
    local character = vim.lsp.util.character_offset(bufnr, cursor[1] - 1, cursor[2], client.offset_encoding)
    local position = { line = cursor[1] - 1, character = character }
    range = { start = position, ['end'] = position }
  end
  vim.lsp.util.apply_text_edits({ { range = range, newText = text } }, bufnr, client.offset_encoding)
  -- Cursor after the inserted text.
  local lines = vim.split(text, '\n', { plain = true })
  local row = range.start.line + #lines
  local last = vim.api.nvim_buf_get_lines(bufnr, row - 1, row, false)[1] or ''
  local col = #lines == 1
      and vim.str_byteindex(last, client.offset_encoding, range.start.character, false) + #lines[1]
    or #lines[#lines]
  vim.api.nvim_win_set_cursor(0, { row, math.min(col, #last) })
  return true
end

--- Accept the completion shown in the current buffer (built-in or fallback). False if none is shown.
---@return boolean
function M.accept()
  local bufnr = vim.api.nvim_get_current_buf()
  if native() then
    return vim.lsp.inline_completion.get({ bufnr = bufnr })
  end
  return accept_fallback(bufnr)
end

local group = vim.api.nvim_create_augroup('unmask.inline', { clear = true })

--- Turn inline completion on for `bufnr` (called on attach).
---@param client vim.lsp.Client
---@param bufnr integer
function M.enable(client, bufnr)
  if native() then
    vim.lsp.inline_completion.enable(true, { bufnr = bufnr })
    return
  end
  vim.api.nvim_clear_autocmds({ group = group, buffer = bufnr })
  vim.api.nvim_create_autocmd({ 'TextChangedI', 'InsertEnter' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      hide(bufnr)
      schedule_request(bufnr)
    end,
  })
  vim.api.nvim_create_autocmd({ 'InsertLeave', 'BufLeave' }, {
    group = group,
    buffer = bufnr,
    callback = function()
      if timers[bufnr] then
        timers[bufnr]:stop()
      end
      hide(bufnr)
    end,
  })
  vim.api.nvim_create_autocmd('BufWipeout', {
    group = group,
    buffer = bufnr,
    callback = function()
      local timer = timers[bufnr]
      timers[bufnr] = nil
      if timer and not timer:is_closing() then
        timer:close()
      end
    end,
  })
end

return M
