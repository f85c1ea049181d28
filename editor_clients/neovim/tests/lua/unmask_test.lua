--- Helpers for driving real Neovim + the real server from a scenario script.
---
--- A scenario runs as a coroutine so Neovim's main loop keeps running between steps: typeahead from
--- `feed()` is processed, LSP messages arrive, timers fire. `wait_for()` yields until a condition holds.
--- `finish(result)` writes `result` as JSON to $UNMASK_TEST_OUT and quits; an error writes {error=...}.
local T = {}

T.out = assert(vim.env.UNMASK_TEST_OUT, 'UNMASK_TEST_OUT not set')
T.timeout_ms = tonumber(vim.env.UNMASK_TEST_TIMEOUT_MS or '60000')
T.events = { steps = 0, step_marks = 0, statuses = {}, progress = {}, notify = {} }

local function write(result)
  local file = assert(io.open(T.out, 'w'))
  file:write(vim.json.encode(result))
  file:close()
end

function T.finish(result)
  result.events = T.events
  write(result)
  vim.cmd('qa!')
end

--- Yield until `condition()` is truthy; errors (failing the scenario) after T.timeout_ms.
function T.wait_for(condition, what)
  local co = assert(coroutine.running(), 'wait_for must run inside T.run')
  local waited = 0
  while true do
    local ok, value = pcall(condition)
    if ok and value then
      return value
    end
    if waited >= T.timeout_ms then
      error(('timed out waiting for %s'):format(what or 'a condition'), 2)
    end
    vim.defer_fn(function()
      coroutine.resume(co)
    end, 20)
    waited = waited + 20
    coroutine.yield()
  end
end

--- Type keys as a user would (processed by the main loop, mappings applied).
function T.feed(keys)
  vim.api.nvim_feedkeys(vim.keycode(keys), 'mt', false)
end

--- Let the main loop run for `ms` milliseconds (typeahead, LSP messages, scheduled callbacks).
function T.tick(ms)
  local co = coroutine.running()
  vim.defer_fn(function()
    coroutine.resume(co)
  end, ms or 0)
  coroutine.yield()
end

function T.lines(bufnr)
  return vim.api.nvim_buf_get_lines(bufnr or 0, 0, -1, false)
end

--- Wait until the buffer text differs from `before` (a list of lines) and return the new lines.
function T.wait_changed(before, what)
  local old = table.concat(before, '\n')
  T.wait_for(function()
    return table.concat(T.lines(), '\n') ~= old
  end, what or 'the buffer to change')
  return T.lines()
end

--- Open `path`, wait for the unmask client to attach and report `ready`.
function T.open(path)
  vim.cmd.edit(vim.fn.fnameescape(path))
  local client = T.wait_for(function()
    return require('unmask').client(0)
  end, 'the unmask client to attach')
  T.wait_for(function()
    local state = require('unmask.progress').states[client.id]
    return state and state.state == 'ready'
  end, 'unmask/status ready')
  return client
end

--- Count step notifications and the extmarks they drew, and every status/progress message.
local function instrument()
  local progress = require('unmask.progress')
  local on_step = progress.on_step
  progress.on_step = function(err, params, ctx)
    on_step(err, params, ctx)
    T.events.steps = T.events.steps + 1
    local marks = vim.api.nvim_buf_get_extmarks(0, progress.namespace, 0, -1, {})
    T.events.step_marks = math.max(T.events.step_marks, #marks)
  end
  local on_status = progress.on_status
  progress.on_status = function(err, params, ctx)
    on_status(err, params, ctx)
    table.insert(T.events.statuses, params.state)
  end
  vim.api.nvim_create_autocmd('LspProgress', {
    callback = function(event)
      table.insert(T.events.progress, event.data.params.value.kind)
    end,
  })
  local notify = vim.notify
  vim.notify = function(message, level, opts)
    table.insert(T.events.notify, { message = message, level = level })
    return notify(message, level, opts)
  end
end

--- Run `scenario` (a function) as a coroutine; any error ends the test with {error = message}.
function T.run(scenario)
  instrument()
  local co = coroutine.create(function()
    local ok, result = xpcall(scenario, debug.traceback)
    if ok then
      T.finish(result or {})
    else
      T.finish({ error = result })
    end
  end)
  vim.schedule(function()
    local ok, err = coroutine.resume(co)
    if not ok then
      T.finish({ error = err })
    end
  end)
end

return T
