module.exports = {
  ...require('../../jest.preset.js')(__dirname, 'runtime'),
  // onnxruntime-node's outputs need Node's own typed arrays (see jest-environment.js).
  testEnvironment: require.resolve('./jest-environment.js'),
};
