--- unmask: regenerate syntax nodes, fill holes and complete code with a diffusion model, over LSP.
---
--- The server (`unmask serve`) does the work and applies its edits itself through workspace/applyEdit,
--- which Neovim handles natively (one undo step, refused if the buffer changed meanwhile). This module
--- only builds the `workspace/executeCommand` requests, shows alternatives with `vim.ui.select`, and wires
--- inline completion. `setup()` is optional.
local M = {}

---@class unmask.Config
---@field cmd? string[] How to start the server (default: the `cmd` of lsp/unmask.lua, `{ 'unmask', 'serve' }`).
---@field settings? table Server options (modelPath, backend, steps, …): sent as init_options and settings.unmask.
---@field keymaps? boolean|table Set the default buffer keymaps on attach (a table overrides lhs per action).
---@field inline? boolean Enable inline completion (ghost text) in attached buffers.
---@field progress? boolean Show the intermediate text and progress while a fill runs.
---@field alternatives? integer How many alternatives :UnmaskAlternatives asks for.

---@type unmask.Config
M.defaults = {
  cmd = nil,
  settings = nil,
  keymaps = false,
  inline = true,
  progress = true,
  alternatives = 3,
}

--- Default keymaps (`keymaps = true`): action -> { modes, lhs }.
M.default_keymaps = {
  regenerate = { { 'n', 'x' }, '<leader>ur' },
  holes = { 'n', '<leader>uh' },
  alternatives = { { 'n', 'x' }, '<leader>ua' },
  reroll = { 'n', '<leader>uu' },
  accept = { 'i', '<M-l>' },
}

---@type unmask.Config
M.config = vim.deepcopy(M.defaults)

--- Configure the plugin; every option is optional. Also updates `vim.lsp.config('unmask')` when `cmd` or
--- `settings` are given. Does not enable the server: call `vim.lsp.enable('unmask')`.
---@param opts? unmask.Config
function M.setup(opts)
  vim.validate('opts', opts, 'table', true)
  opts = opts or {}
  vim.validate('opts.cmd', opts.cmd, 'table', true)
  vim.validate('opts.settings', opts.settings, 'table', true)
  vim.validate('opts.keymaps', opts.keymaps, { 'boolean', 'table' }, true)
  vim.validate('opts.inline', opts.inline, 'boolean', true)
  vim.validate('opts.progress', opts.progress, 'boolean', true)
  vim.validate('opts.alternatives', opts.alternatives, 'number', true)
  M.config = vim.tbl_deep_extend('force', vim.deepcopy(M.defaults), opts)
  local lsp = {}
  if opts.cmd then
    lsp.cmd = opts.cmd
  end
  if opts.settings then
    lsp.init_options = opts.settings
    lsp.settings = { unmask = opts.settings }
  end
  if next(lsp) ~= nil then
    vim.lsp.config('unmask', lsp)
  end
end

--- The unmask client attached to `bufnr`, if any.
---@param bufnr? integer
---@return vim.lsp.Client?
function M.client(bufnr)
  return vim.lsp.get_clients({ bufnr = bufnr or 0, name = 'unmask' })[1]
end

---@param bufnr? integer
---@return integer
local function resolve_bufnr(bufnr)
  return (bufnr == nil or bufnr == 0) and vim.api.nvim_get_current_buf() or bufnr
end

local function notify(message, level)
  vim.notify('unmask: ' .. message, level or vim.log.levels.INFO)
end

---@param bufnr integer
---@return vim.lsp.Client?
local function client_or_warn(bufnr)
  local client = M.client(bufnr)
  if not client then
    notify('no unmask server attached to this buffer (run :checkhealth unmask)', vim.log.levels.WARN)
  end
  return client
end

--- The LSP Position of a (1-based row, 0-based byte col) cursor-style position.
---@param bufnr integer
---@param row integer 1-based
---@param col integer 0-based, bytes
---@param encoding string
---@return lsp.Position
function M.lsp_position(bufnr, row, col, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, row - 1, row, false)[1] or ''
  col = math.min(col, #line)
  local character = col == 0 and 0 or vim.lsp.util.character_offset(bufnr, row - 1, col, encoding)
  return { line = row - 1, character = character }
end

--- The LSP Range of a selection, from its marks.
---@param bufnr integer
---@param start_pos [integer, integer] (1-based row, 0-based byte col) as from nvim_buf_get_mark
---@param end_pos [integer, integer] inclusive: the last selected character
---@param mode string 'v' charwise, 'V' linewise ('\22' blockwise is treated as charwise)
---@param encoding string
---@return lsp.Range
function M.selection_range(bufnr, start_pos, end_pos, mode, encoding)
  local srow, scol, erow, ecol = start_pos[1], start_pos[2], end_pos[1], end_pos[2]
  if srow > erow or (srow == erow and scol > ecol) then
    srow, scol, erow, ecol = erow, ecol, srow, scol
  end
  if mode == 'V' then
    local last = vim.api.nvim_buf_line_count(bufnr)
    local stop = erow < last and { line = erow, character = 0 }
      or M.lsp_position(bufnr, erow, #vim.api.nvim_buf_get_lines(bufnr, erow - 1, erow, false)[1], encoding)
    return { start = { line = srow - 1, character = 0 }, ['end'] = stop }
  end
  local line = vim.api.nvim_buf_get_lines(bufnr, erow - 1, erow, false)[1] or ''
  -- The end mark is on the first byte of the last character: step past the whole character.
  local char_len = #line > ecol and #vim.fn.strcharpart(line:sub(ecol + 1), 0, 1) or 0
  return {
    start = M.lsp_position(bufnr, srow, scol, encoding),
    ['end'] = M.lsp_position(bufnr, erow, ecol + char_len, encoding),
  }
end

--- Sends `workspace/executeCommand` for `command` with one JSON object argument.
---@param bufnr integer
---@param command string
---@param args table
---@param on_result? fun(result: table?, client: vim.lsp.Client)
function M.execute(bufnr, command, args, on_result)
  local client = client_or_warn(bufnr)
  if not client then
    return
  end
  args.uri = vim.uri_from_bufnr(bufnr)
  args.version = vim.lsp.util.buf_versions[bufnr]
  require('unmask.progress').begin(bufnr, command)
  client:request('workspace/executeCommand', { command = command, arguments = { args } }, function(err, result)
    require('unmask.progress').finish(bufnr, command)
    if err then
      -- Invalid params (e.g. nothing to re-roll), content modified, cancelled: "not now", not a failure.
      local expected = err.code == -32602 or err.code == -32801 or err.code == -32800
      notify(
        expected and (err.message or command) or ('%s failed: %s'):format(command, err.message or vim.inspect(err)),
        expected and vim.log.levels.WARN or vim.log.levels.ERROR
      )
      return
    end
    if on_result then
      on_result(result, client)
    elseif type(result) == 'table' and result.applied == false then
      notify('nothing applied: ' .. (result.reason or 'no reason given'), vim.log.levels.WARN)
    end
  end, bufnr)
end

--- Regenerate a range (LSP Range); the server snaps it to whole syntax nodes.
---@param range lsp.Range
---@param bufnr? integer
function M.regenerate_range(range, bufnr)
  bufnr = resolve_bufnr(bufnr)
  M.execute(bufnr, 'unmask.regenerate', { range = range })
end

--- Regenerate the named syntax node at the cursor; `level` 0 is the smallest, each level one node up.
---@param opts? { level?: integer, bufnr?: integer }
function M.regenerate_node(opts)
  opts = opts or {}
  vim.validate('opts.level', opts.level, 'number', true)
  local bufnr = resolve_bufnr(opts.bufnr)
  local client = client_or_warn(bufnr)
  if not client then
    return
  end
  local cursor = vim.api.nvim_win_get_cursor(0)
  local position = M.lsp_position(bufnr, cursor[1], cursor[2], client.offset_encoding)
  M.execute(bufnr, 'unmask.regenerateEnclosing', { position = position, level = math.max(0, opts.level or 0) })
end

local function visual_range(bufnr, client)
  local mode = vim.fn.mode()
  local start_pos, end_pos
  if mode == 'v' or mode == 'V' or mode == '\22' then
    local v = vim.fn.getpos('v')
    local c = vim.fn.getpos('.')
    start_pos, end_pos = { v[2], v[3] - 1 }, { c[2], c[3] - 1 }
    vim.api.nvim_feedkeys(vim.keycode('<Esc>'), 'nx', false)
  else
    mode = vim.fn.visualmode()
    start_pos = vim.api.nvim_buf_get_mark(bufnr, '<')
    end_pos = vim.api.nvim_buf_get_mark(bufnr, '>')
  end
  return M.selection_range(bufnr, start_pos, end_pos, mode, client.offset_encoding)
end

--- Regenerate the current (or last) visual selection.
function M.regenerate_visual()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_or_warn(bufnr)
  if client then
    M.regenerate_range(visual_range(bufnr, client), bufnr)
  end
end

--- The range a `:command` with a range covers: the visual selection if the range is `'<,'>`, else whole lines.
local function command_range(cmd, bufnr, client)
  local vstart = vim.api.nvim_buf_get_mark(bufnr, '<')
  local vend = vim.api.nvim_buf_get_mark(bufnr, '>')
  if vstart[1] == cmd.line1 and vend[1] == cmd.line2 and vim.fn.visualmode() ~= '' then
    return M.selection_range(bufnr, vstart, vend, vim.fn.visualmode(), client.offset_encoding)
  end
  return M.selection_range(bufnr, { cmd.line1, 0 }, { cmd.line2, 0 }, 'V', client.offset_encoding)
end

--- `:UnmaskRegenerate` — with a range: that range; without: the node at the cursor, `[N]` levels = N-1 up.
function M.regenerate_command(cmd)
  local bufnr = vim.api.nvim_get_current_buf()
  if cmd.range > 0 then
    local client = client_or_warn(bufnr)
    if client then
      M.regenerate_range(command_range(cmd, bufnr, client), bufnr)
    end
    return
  end
  local count = tonumber(cmd.args ~= '' and cmd.args or '1')
  if not count or count < 1 or count % 1 ~= 0 then
    notify(':UnmaskRegenerate [N]: N must be a positive integer', vim.log.levels.ERROR)
    return
  end
  M.regenerate_node({ level = count - 1, bufnr = bufnr })
end

--- Fill every hole (`___`, placeholder bodies, empty bodies) in the buffer.
---@param bufnr? integer
function M.fill_holes(bufnr)
  M.execute(resolve_bufnr(bufnr), 'unmask.fillHoles', {})
end

--- Re-generate the low-confidence tokens of the last fill in the buffer.
---@param bufnr? integer
function M.reroll(bufnr)
  M.execute(resolve_bufnr(bufnr), 'unmask.reroll', {})
end

--- One line per alternative for `vim.ui.select`.
---@param alternative { text: string, score: number }
---@return string
function M.format_alternative(alternative)
  local lines = vim.split(alternative.text, '\n', { trimempty = true })
  local first = vim.trim(lines[1] or '(empty)')
  local more = #lines > 1 and (' (+%d lines)'):format(#lines - 1) or ''
  return ('%s%s  [score %.2f]'):format(first, more, alternative.score)
end

--- Ask for `count` rewrites of `range`, pick one with `vim.ui.select`, apply its WorkspaceEdit.
---@param range lsp.Range
---@param opts? { bufnr?: integer, count?: integer, on_done?: fun(applied: boolean) }
function M.alternatives(range, opts)
  opts = opts or {}
  local bufnr = resolve_bufnr(opts.bufnr)
  local done = opts.on_done or function() end
  local count = opts.count or M.config.alternatives
  M.execute(bufnr, 'unmask.alternatives', { range = range, count = count }, function(result, client)
    local alternatives = type(result) == 'table' and result.alternatives or {}
    if #alternatives == 0 then
      notify('no alternatives for this range')
      return done(false)
    end
    local tick = vim.api.nvim_buf_get_changedtick(bufnr)
    vim.ui.select(alternatives, {
      prompt = 'unmask alternatives',
      format_item = M.format_alternative,
      kind = 'unmask.alternative',
    }, function(choice)
      if not choice then
        return done(false)
      end
      if vim.api.nvim_buf_get_changedtick(bufnr) ~= tick then
        notify('the buffer changed while you picked; run :UnmaskAlternatives again', vim.log.levels.WARN)
        return done(false)
      end
      vim.lsp.util.apply_workspace_edit(choice.edit, client.offset_encoding)
      done(true)
    end)
  end)
end

--- `:UnmaskAlternatives [N]` over the range, or the current line.
function M.alternatives_command(cmd)
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_or_warn(bufnr)
  if not client then
    return
  end
  local range = cmd.range > 0 and command_range(cmd, bufnr, client)
    or M.selection_range(bufnr, { cmd.line1, 0 }, { cmd.line1, 0 }, 'V', client.offset_encoding)
  M.alternatives(range, { bufnr = bufnr, count = tonumber(cmd.args) })
end

function M.alternatives_visual_or_line()
  local bufnr = vim.api.nvim_get_current_buf()
  local client = client_or_warn(bufnr)
  if not client then
    return
  end
  local mode = vim.fn.mode()
  if mode == 'v' or mode == 'V' or mode == '\22' then
    return M.alternatives(visual_range(bufnr, client), { bufnr = bufnr })
  end
  local row = vim.api.nvim_win_get_cursor(0)[1]
  M.alternatives(M.selection_range(bufnr, { row, 0 }, { row, 0 }, 'V', client.offset_encoding), { bufnr = bufnr })
end

--- Accept the inline completion shown in the current buffer. Returns false when there is none.
---@return boolean
function M.accept()
  return require('unmask.inline').accept()
end

local keymap_actions = {
  regenerate = '<Plug>(unmask-regenerate)',
  holes = '<Plug>(unmask-holes)',
  alternatives = '<Plug>(unmask-alternatives)',
  reroll = '<Plug>(unmask-reroll)',
  accept = '<Plug>(unmask-accept)',
}

local function set_keymaps(bufnr)
  local overrides = type(M.config.keymaps) == 'table' and M.config.keymaps or {}
  for action, default in pairs(M.default_keymaps) do
    local lhs = overrides[action] == nil and default[2] or overrides[action]
    if lhs then
      vim.keymap.set(default[1], lhs, keymap_actions[action], { buffer = bufnr, remap = true, desc = 'unmask: ' .. action })
    end
  end
end

--- Called by lsp/unmask.lua when the server attaches to a buffer.
---@param client vim.lsp.Client
---@param bufnr integer
function M.on_attach(client, bufnr)
  if M.config.inline then
    require('unmask.inline').enable(client, bufnr)
  end
  if M.config.keymaps then
    set_keymaps(bufnr)
  end
  require('unmask.progress').attach(client, bufnr)
end

--- A short status for 'statusline': model and state, or the progress of the running fill.
---@return string
function M.status()
  return require('unmask.progress').statusline()
end

return M
