// Shared jest settings for every project: TypeScript through ts-jest (type-checking is `npm run typecheck`,
// so tests transpile only), workspace packages resolved to their sources, an environment in which
// onnxruntime-node's tensors work (tools/jest-ort-environment.js), and a JSON result per project that
// .ci/run adds up.
const path = require('path');

module.exports = (dirname, displayName) => ({
  displayName,
  rootDir: dirname,
  testEnvironment: path.join(__dirname, 'tools/jest-ort-environment.js'),
  testMatch: ['<rootDir>/**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: path.join(__dirname, 'tsconfig.base.json'), isolatedModules: true, diagnostics: false }],
  },
  moduleNameMapper: {
    '^@ortrain/(.*)$': path.join(__dirname, 'packages/$1/src/index.ts'),
  },
  testTimeout: 120000,
  reporters: ['default', [path.join(__dirname, 'tools/jest-json-reporter.js'), { name: displayName }]],
});
