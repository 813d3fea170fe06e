module.exports = {
  'node-option': ['import=tsx'],
  spec: ['test/integration/**/*.test.ts'],
  require: ['test/setup/global.ts'],
  timeout: 10000,
  slow: 1000,
  parallel: true,
  jobs: 2,
  forbidOnly: !!process.env.CI,
  reporter: 'dot',
}
