--- `:checkhealth unmask`
local M = {}

local health = vim.health

---@return string[]?
local function configured_cmd()
  local ok, config = pcall(function()
    return vim.lsp.config.unmask
  end)
  if ok and type(config) == 'table' and type(config.cmd) == 'table' then
    return config.cmd
  end
  return nil
end

function M.check()
  health.start('unmask: Neovim')
  if vim.fn.has('nvim-0.11') == 1 then
    health.ok(('Neovim %s'):format(tostring(vim.version())))
  else
    health.error('Neovim 0.11 or newer is needed (vim.lsp.config / vim.lsp.enable)')
  end
  if vim.lsp.inline_completion then
    health.ok('inline completion: built-in vim.lsp.inline_completion')
  else
    health.info('inline completion: unmask fallback ghost text (Neovim 0.12 has a built-in one)')
  end

  health.start('unmask: server')
  local cmd = configured_cmd()
  if not cmd then
    health.error('no `unmask` LSP config found', {
      'add the plugin directory to runtimepath (it provides lsp/unmask.lua)',
      "or define it: vim.lsp.config('unmask', { cmd = { 'unmask', 'serve' } })",
    })
  elseif vim.fn.executable(cmd[1]) ~= 1 then
    health.error(('server command not found: %s'):format(cmd[1]), {
      'install it from a checkout: pip install torch==2.13.0 -e /path/to/unmask (in the environment you use)',
      "or point at it: require('unmask').setup { cmd = { '/path/to/.venv/bin/unmask', 'serve' } }",
    })
  else
    health.ok(('server command: %s'):format(table.concat(cmd, ' ')))
    -- Ask the same program for its version: it proves the install imports.
    local version_cmd = vim.deepcopy(cmd)
    if version_cmd[#version_cmd] == 'serve' then
      version_cmd[#version_cmd] = '--version'
      local ok, result = pcall(function()
        return vim.system(version_cmd, { text = true }):wait(20000)
      end)
      if ok and result.code == 0 then
        health.ok(vim.trim(result.stdout ~= '' and result.stdout or result.stderr))
      else
        health.warn(('`%s` failed: %s'):format(
          table.concat(version_cmd, ' '),
          ok and vim.trim(result.stderr or '') or tostring(result)
        ), { 'run `unmask doctor` in a terminal' })
      end
    end
  end
  if vim.lsp.is_enabled and not vim.lsp.is_enabled('unmask') then
    health.warn("the server is not enabled", { "add vim.lsp.enable('unmask') to your config" })
  end

  health.start('unmask: clients')
  local clients = vim.lsp.get_clients({ name = 'unmask' })
  if #clients == 0 then
    health.info('no unmask client running (open a supported file)')
  end
  local progress = require('unmask.progress')
  for _, client in ipairs(clients) do
    local state = progress.states[client.id]
    local buffers = vim.tbl_count(client.attached_buffers)
    if not state then
      health.info(('client %d: started, no status from the server yet (%d buffers)'):format(client.id, buffers))
    elseif state.state == 'error' then
      health.error(('client %d: model %s: %s'):format(client.id, state.model, state.message or 'error'), {
        'run `unmask doctor`; see :LspLog',
      })
    else
      health.ok(('client %d: model %s %s, %d buffers'):format(client.id, state.model, state.state, buffers))
    end
    local commands = vim.tbl_get(client.server_capabilities or {}, 'executeCommandProvider', 'commands') or {}
    for _, name in ipairs({ 'unmask.regenerate', 'unmask.regenerateEnclosing', 'unmask.fillHoles', 'unmask.alternatives', 'unmask.reroll' }) do
      if not vim.tbl_contains(commands, name) then
        health.warn(('client %d: the server does not offer %s (version mismatch?)'):format(client.id, name))
      end
    end
  end
end

return M
