-- Minimal config for the plugin's tests: `nvim --headless --clean -u tests/minimal_init.lua`.
-- Run with XDG_CONFIG_HOME/XDG_DATA_HOME/XDG_STATE_HOME/XDG_CACHE_HOME pointing at a temporary directory.
local root = vim.fn.fnamemodify(debug.getinfo(1, 'S').source:sub(2), ':p:h:h')
vim.opt.runtimepath:prepend(root)
vim.opt.runtimepath:append(root .. '/tests')
vim.opt.swapfile = false
vim.opt.shadafile = 'NONE'
vim.o.updatetime = 100

-- The server command and its options come from the test (JSON in the environment).
local server = vim.env.UNMASK_TEST_SERVER and vim.json.decode(vim.env.UNMASK_TEST_SERVER)
local settings = vim.env.UNMASK_TEST_SETTINGS and vim.json.decode(vim.env.UNMASK_TEST_SETTINGS)
require('unmask').setup({ cmd = server, settings = settings, keymaps = true })
vim.lsp.enable('unmask')
