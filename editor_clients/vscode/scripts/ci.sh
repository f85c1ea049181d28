#!/usr/bin/env bash
# CI for the VS Code extension: install exactly the locked deps, type-check, lint, test, build, package.
# The wire tests spawn the real server: set UNMASK_SERVER='["/path/to/python","-m","unmask.cli","serve"]'
# when the repo's .venv is not where the server lives.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund
npx tsc -p . --noEmit
npx eslint src test
npm test
npm run build
npx vsce package --out unmask.vsix
echo "packaged $(pwd)/unmask.vsix"
