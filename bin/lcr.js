#!/usr/bin/env node
'use strict';
// The CLI is compiled by `npm ci` / `npm run build` (the package's prepare script).
require('../dist/cli/main.js').main(process.argv);
