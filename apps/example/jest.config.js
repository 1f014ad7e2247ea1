module.exports = {
  ...require('../../jest.preset.js')(__dirname, 'example'),
  // onnxruntime-node's outputs need Node's own typed arrays (see packages/runtime/jest-environment.js).
  testEnvironment: require.resolve('../../packages/runtime/jest-environment.js'),
};
