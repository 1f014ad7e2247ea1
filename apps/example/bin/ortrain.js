#!/usr/bin/env node
// The ortrain command. The sources are TypeScript run through tsx, with the repository's tsconfig so that
// '@ortrain/*' resolves to the workspace sources wherever the command is started from.
'use strict';
const path = require('node:path');

process.env.TSX_TSCONFIG_PATH ??= path.join(__dirname, '..', '..', '..', 'tsconfig.base.json');
require('tsx/cjs');
require('../src/cli.ts')
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
  });
