// Files named on the command line run alone; mocha would otherwise add them to this glob.
const named = process.argv.slice(2).some((a) => !a.startsWith('-') && /\.test\.ts$/.test(a))

module.exports = {
  'node-option': ['import=tsx'],
  spec: named ? [] : ['test/integration/**/*.test.ts'],
  require: ['test/setup/global.ts'],
  timeout: 10000,
  slow: 1000,
  parallel: true,
  jobs: 2,
  forbidOnly: !!process.env.CI,
  reporter: 'dot',
}
