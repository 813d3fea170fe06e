// Files named on the command line run alone; mocha would otherwise add them to this glob.
const named = process.argv.slice(2).some((a) => !a.startsWith('-') && /\.test\.ts$/.test(a))

module.exports = {
  'node-option': ['import=tsx'],
  spec: named ? [] : ['test/unit/**/*.test.ts'],
  timeout: 2000,
  forbidOnly: !!process.env.CI,
  reporter: 'dot',
}
