import { expect } from 'chai'
import { isDatabaseUnavailable } from '../../../src/shared/database-unavailable.ts'

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code })

describe('errors that mean the database cannot be reached', () => {
  const unavailable: Array<[name: string, e: unknown]> = [
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a reset connection', withCode('ECONNRESET')],
    ['an unknown host', withCode('ENOTFOUND')],
    [
      'a server shutting down (57P01)',
      withCode('57P01', 'terminating connection due to administrator command'),
    ],
    ['a server starting up (57P03)', withCode('57P03', 'the database system is starting up')],
    ['too many connections (53300)', withCode('53300')],
    ['a dropped database (3D000)', withCode('3D000', 'database "weir" does not exist')],
    ['a connection exception (08006)', withCode('08006')],
    ['pg: connection terminated', new Error('Connection terminated unexpectedly')],
    ['pg-pool: connect timeout', new Error('timeout exceeded when trying to connect')],
    ['pg-pool: ended pool', new Error('Cannot use a pool after calling end on the pool')],
    ['Kysely: destroyed driver', new Error('driver has already been destroyed')],
    ['PGlite: closed instance', new Error('PGlite is closed')],
    ['a cause that is one', new Error('query failed', { cause: withCode('ECONNREFUSED') })],
    ['an AggregateError holding one', new AggregateError([withCode('ECONNREFUSED')], 'x')],
  ]
  for (const [name, e] of unavailable)
    it(`recognises ${name}`, () => expect(isDatabaseUnavailable(e)).to.equal(true))

  const other: Array<[name: string, e: unknown]> = [
    ['a unique violation (23505)', withCode('23505')],
    ['a syntax error (42601)', withCode('42601')],
    ['an untranslatable character (22P05)', withCode('22P05')],
    ['a plain error', new Error('boom')],
    ['a string', 'ECONNREFUSED'],
    ['null', null],
    [
      'an error whose cause is itself',
      (() => {
        const e = new Error('loop')
        ;(e as { cause?: unknown }).cause = e
        return e
      })(),
    ],
  ]
  for (const [name, e] of other)
    it(`does not take ${name} for one`, () => expect(isDatabaseUnavailable(e)).to.equal(false))
})
