module.exports = {
  ...require('../../jest.preset.js')(__dirname, 'graph-builder'),
  testEnvironment: require.resolve('./jest-environment.js'),
};
