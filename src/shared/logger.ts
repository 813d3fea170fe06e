/**
 * pino root logger factory; components take child scopes ({ component }, { jobId }, { requestId }).
 * `json` is pino's own line format (files, pipes, log collectors); `pretty` is for a person at a
 * terminal: time, level, the component and message, then the other fields on the same line.
 */
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from 'pino'
import { PinoPretty } from 'pino-pretty'

export type { Logger }

export type LogFormat = 'json' | 'pretty'

export interface LoggerOptions {
  readonly level?: LevelWithSilent
  readonly name?: string
  readonly format?: LogFormat
  /** Where lines go (default stdout); colours only when `pretty` and this is a terminal. */
  readonly destination?: NodeJS.WritableStream & { readonly isTTY?: boolean }
}

/** `auto` (a config value): pretty on a terminal, JSON otherwise. */
export function resolveLogFormat(
  configured: LogFormat | 'auto',
  out: { readonly isTTY?: boolean } = process.stdout,
): LogFormat {
  if (configured !== 'auto') return configured
  return out.isTTY === true ? 'pretty' : 'json'
}

function prettyStream(
  out: NodeJS.WritableStream & { readonly isTTY?: boolean },
): DestinationStream {
  return PinoPretty({
    destination: out,
    sync: true,
    colorize: out.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,name,component',
    messageFormat: '{if component}{component}: {end}{msg}',
    singleLine: true,
  })
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const out = opts.destination ?? process.stdout
  const options = {
    name: opts.name ?? 'weir',
    level: opts.level ?? 'info',
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        '*.worker_token',
        '*.password',
        '*.secret',
        'req.headers.authorization',
        '*.jwt_secret',
      ],
      censor: '******',
    },
  }
  if (opts.format === 'pretty') return pino(options, prettyStream(out))
  return opts.destination ? pino(options, opts.destination) : pino(options)
}

/** A logger that drops everything: for tests and CLI commands that print on their own. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
