/** pino root logger factory; components take child scopes ({ component }, { jobId }, { requestId }). */
import { pino, type Logger, type LevelWithSilent } from 'pino'

export type { Logger }

export function createLogger(opts: { level?: LevelWithSilent; name?: string } = {}): Logger {
  return pino({
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
  })
}

/** A logger that drops everything: for tests and CLI commands that print on their own. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' })
}
