-- :checkhealth unmask with a client attached.
local T = require('unmask_test')
T.run(function()
  T.open(vim.env.UNMASK_TEST_FILE)
  vim.cmd('checkhealth unmask')
  T.tick(50)
  return { report = T.lines() }
end)
