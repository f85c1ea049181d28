--- What the user sees while unmask works: the model's intermediate text over the ranges being rewritten
--- (`unmask/step`), the server state (`unmask/status`) and work-done progress (`$/progress`, via the
--- LspProgress autocmd), summarised by `statusline()`.
local M = {}

M.namespace = vim.api.nvim_create_namespace('unmask.step')

--- Latest `unmask/status` params per client id.
---@type table<integer, { state: string, model: string, message?: string }>
M.states = {}
--- Latest `unmask/step` params per buffer (while a fill runs).
---@type table<integer, table>
M.steps = {}
--- Running commands per buffer.
---@type table<integer, integer>
M.running = {}
--- Latest work-done progress value per client id ({ title, message, percentage } or nil when ended).
---@type table<integer, table?>
M.work = {}

vim.api.nvim_set_hl(0, 'UnmaskPending', { default = true, link = 'Comment' })
vim.api.nvim_set_hl(0, 'UnmaskGhost', { default = true, link = 'NonText' })

local function enabled()
  return require('unmask').config.progress
end

---@param bufnr integer
function M.clear(bufnr)
  M.steps[bufnr] = nil
  if vim.api.nvim_buf_is_valid(bufnr) then
    vim.api.nvim_buf_clear_namespace(bufnr, M.namespace, 0, -1)
  end
end

--- Byte column of an LSP position in `bufnr` (clamped to the line).
local function byte_col(bufnr, position, encoding)
  local line = vim.api.nvim_buf_get_lines(bufnr, position.line, position.line + 1, false)[1]
  if not line then
    return nil
  end
  local ok, col = pcall(vim.str_byteindex, line, encoding, position.character, false)
  return ok and math.min(col, #line) or #line
end

local MAX_LINES = 12

---@param bufnr integer
---@param params table unmask/step params
---@param encoding string
local function draw(bufnr, params, encoding)
  vim.api.nvim_buf_clear_namespace(bufnr, M.namespace, 0, -1)
  local last_line = vim.api.nvim_buf_line_count(bufnr) - 1
  for index, range in ipairs(params.ranges) do
    local srow, erow = range.start.line, math.min(range['end'].line, last_line)
    local scol, ecol = byte_col(bufnr, range.start, encoding), byte_col(bufnr, range['end'], encoding)
    if scol and ecol and srow <= last_line then
      pcall(vim.api.nvim_buf_set_extmark, bufnr, M.namespace, srow, scol, {
        end_row = erow,
        end_col = ecol,
        hl_group = 'UnmaskPending',
      })
      local lines = vim.split(params.texts[index] or '', '\n', { plain = true })
      local virt = {}
      for i, text in ipairs(lines) do
        if i > MAX_LINES then
          table.insert(virt, { { ('  ┆ … %d more lines'):format(#lines - MAX_LINES), 'UnmaskGhost' } })
          break
        end
        table.insert(virt, { { '  ┆ ' .. text, 'UnmaskGhost' } })
      end
      virt[1][1][1] = virt[1][1][1] .. ('    [unmask %d/%d]'):format(params.step, params.total)
      pcall(vim.api.nvim_buf_set_extmark, bufnr, M.namespace, erow, 0, { virt_lines = virt })
    end
  end
end

--- Handler for `unmask/step` {uri, version, ranges, texts, step, total}.
function M.on_step(_, params, ctx)
  if type(params) ~= 'table' or type(params.uri) ~= 'string' then
    return
  end
  local bufnr = vim.uri_to_bufnr(params.uri)
  if not vim.api.nvim_buf_is_loaded(bufnr) then
    return
  end
  -- A step for an older version describes text that is no longer there.
  if vim.lsp.util.buf_versions[bufnr] ~= params.version then
    M.clear(bufnr)
    return
  end
  M.steps[bufnr] = params
  if enabled() then
    local client = vim.lsp.get_client_by_id(ctx.client_id)
    draw(bufnr, params, client and client.offset_encoding or 'utf-16')
  end
  vim.cmd.redrawstatus({ bang = true, mods = { emsg_silent = true } })
end

--- Handler for `unmask/status` {state, model, message?}.
function M.on_status(_, params, ctx)
  if type(params) ~= 'table' then
    return
  end
  local previous = M.states[ctx.client_id]
  M.states[ctx.client_id] = params
  if params.state == 'error' and (not previous or previous.message ~= params.message) then
    vim.notify('unmask: ' .. (params.message or 'server error'), vim.log.levels.ERROR)
  end
  vim.cmd.redrawstatus({ bang = true, mods = { emsg_silent = true } })
end

--- A command was sent for `bufnr`.
function M.begin(bufnr, _)
  M.running[bufnr] = (M.running[bufnr] or 0) + 1
end

--- Its answer arrived: the edit (if any) has been applied, the intermediate text is obsolete.
function M.finish(bufnr, _)
  M.running[bufnr] = math.max(0, (M.running[bufnr] or 1) - 1)
  if M.running[bufnr] == 0 then
    M.clear(bufnr)
  end
end

local group = vim.api.nvim_create_augroup('unmask.progress', { clear = true })
local attached = false

--- Follows `$/progress` of unmask clients (Neovim's handler turns it into the LspProgress autocmd).
function M.attach(_, bufnr)
  vim.api.nvim_create_autocmd('BufUnload', {
    group = group,
    buffer = bufnr,
    callback = function()
      M.steps[bufnr], M.running[bufnr] = nil, nil
    end,
  })
  if attached then
    return
  end
  attached = true
  vim.api.nvim_create_autocmd('LspProgress', {
    group = group,
    callback = function(event)
      local client = vim.lsp.get_client_by_id(event.data.client_id)
      if not client or client.name ~= 'unmask' then
        return
      end
      local value = event.data.params.value
      if value.kind == 'end' then
        M.work[client.id] = nil
      else
        local previous = M.work[client.id] or {}
        M.work[client.id] = {
          title = value.title or previous.title,
          message = value.message or previous.message,
          percentage = value.percentage or previous.percentage,
        }
      end
      if enabled() then
        local work = M.work[client.id]
        local text = work and ('%s %s'):format(work.title or 'unmask', work.percentage and (work.percentage .. '%') or '')
          or ('unmask: ' .. (value.message or 'done'))
        vim.api.nvim_echo({ { text } }, false, {})
      end
      vim.cmd.redrawstatus({ bang = true, mods = { emsg_silent = true } })
    end,
  })
end

--- For 'statusline': `unmask <model> <state>`, or the running fill's title and percentage.
---@return string
function M.statusline()
  local client = require('unmask').client(0)
  if not client then
    return ''
  end
  local work = M.work[client.id]
  if work then
    return ('unmask: %s%s'):format(work.title or 'working', work.percentage and (' ' .. work.percentage .. '%') or '')
  end
  local step = M.steps[vim.api.nvim_get_current_buf()]
  if step then
    return ('unmask: step %d/%d'):format(step.step, step.total)
  end
  local state = M.states[client.id]
  if not state then
    return 'unmask: starting'
  end
  return ('unmask %s %s'):format(state.model, state.state)
end

return M
