-- Drives `eksfed lsp` from Neovim's built-in LSP client (nvim --headless, 0.7+), for
-- tests/cli_lsp_nvim.rs: opens a stack's file, then records what the editor got
-- (diagnostics, hover, completion, definition, rename) as JSON in $EKSFED_OUT.
local bin, dir, out = os.getenv('EKSFED_BIN'), os.getenv('EKSFED_STACK'), os.getenv('EKSFED_OUT')
local results = {}

local function find(buf, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, false)) do
    local col = string.find(line, needle, 1, true)
    if col then return { line = i - 1, character = col - 1 } end
  end
  error('not in the buffer: ' .. needle)
end

local function request(buf, method, position, extra)
  local params = { textDocument = { uri = vim.uri_from_bufnr(buf) }, position = position }
  for k, v in pairs(extra or {}) do params[k] = v end
  local res = vim.lsp.buf_request_sync(buf, method, params, 10000)
  for _, r in pairs(res or {}) do
    if r.error then return { error = r.error.message } end
    return r.result
  end
  error('no answer to ' .. method)
end

local function diagnostics(buf)
  local got = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    table.insert(got, { line = d.lnum, col = d.col, severity = d.severity, message = d.message })
  end
  return got
end

local ok, err = pcall(function()
  vim.cmd('edit ' .. vim.fn.fnameescape(dir .. '/roles.hcl'))
  local buf = vim.api.nvim_get_current_buf()
  local id = vim.lsp.start_client({ name = 'eksfed', cmd = { bin, 'lsp' }, root_dir = dir })
  vim.lsp.buf_attach_client(buf, id)

  -- The file references an undeclared variable: one error.
  vim.wait(20000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
  results.diagnostics = diagnostics(buf)

  -- Fixed in the buffer (unsaved): the error goes away.
  local at = find(buf, 'var.team')
  local line = vim.api.nvim_buf_get_lines(buf, at.line, at.line + 1, false)[1]
  local fixed = line:gsub('var%.team', 'local.prefix')
  vim.api.nvim_buf_set_lines(buf, at.line, at.line + 1, false, { fixed })
  vim.wait(20000, function() return #vim.diagnostic.get(buf) == 0 end, 50)
  results.fixed = diagnostics(buf)

  local pos = find(buf, 'local.prefix')
  results.hover = request(buf, 'textDocument/hover', { line = pos.line, character = pos.character + 7 })
  results.definition = request(buf, 'textDocument/definition', { line = pos.line, character = pos.character + 7 })

  local cpos = find(buf, 'role.app.arn')
  results.completion = request(buf, 'textDocument/completion', { line = cpos.line, character = cpos.character + 5 })

  local edit = request(buf, 'textDocument/rename', { line = pos.line, character = pos.character + 7 }, { newName = 'team_prefix' })
  vim.lsp.util.apply_workspace_edit(edit, 'utf-16')
  local main = vim.fn.bufnr(dir .. '/main.hcl')
  results.renamed_main = vim.api.nvim_buf_get_lines(main, 0, -1, false)
  results.renamed_roles = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
end)
if not ok then results.failure = tostring(err) end
local f = assert(io.open(out, 'w'))
f:write(vim.fn.json_encode(results))
f:close()
vim.cmd('qall!')
