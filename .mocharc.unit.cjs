module.exports = {
  'node-option': ['import=tsx'],
  spec: ['test/unit/**/*.test.ts'],
  timeout: 2000,
  forbidOnly: !!process.env.CI,
  reporter: 'dot',
}
