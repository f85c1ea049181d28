-- The unmask language server, for Neovim 0.11+: `vim.lsp.enable('unmask')`.
-- Override any field with `vim.lsp.config('unmask', { ... })` (or `require('unmask').setup { ... }`).

---@type vim.lsp.Config
return {
  cmd = { 'unmask', 'serve' },
  filetypes = { 'python', 'javascript', 'typescript', 'go', 'rust', 'java', 'c', 'cpp' },
  root_markers = { 'pyproject.toml', 'setup.py', 'package.json', 'go.mod', 'Cargo.toml', 'pom.xml', '.git' },
  -- Server options (docs/protocol.md); the server also pulls the `unmask` section of `settings`.
  init_options = vim.empty_dict(),
  settings = { unmask = vim.empty_dict() },
  handlers = {
    ['unmask/step'] = function(err, params, ctx)
      require('unmask.progress').on_step(err, params, ctx)
    end,
    ['unmask/status'] = function(err, params, ctx)
      require('unmask.progress').on_status(err, params, ctx)
    end,
  },
  on_attach = function(client, bufnr)
    require('unmask').on_attach(client, bufnr)
  end,
}
