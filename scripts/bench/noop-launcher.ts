/**
 * A process launcher for the B6 engine benchmark: every launch "exits" with code 0 on the next
 * microtask, with no output and no process. Injected through the app's `launcherOverride` (the
 * config cannot select it), wrapped in a switch so one server serves both real and no-op steps.
 */
import type {
  LaunchedProcess,
  ProcessLauncher,
} from '../../src/runner/executors/process-launcher.ts'

export function createNoopLauncher(): ProcessLauncher {
  return {
    launch(_spec, handlers): LaunchedProcess {
      queueMicrotask(() => handlers.onExit(0, null))
      return { pid: Promise.resolve(0), kill: () => undefined }
    },
    close: async () => undefined,
  }
}

export interface SwitchLauncher extends ProcessLauncher {
  /** `real`: the configured launcher; `noop`: complete at once without spawning. */
  mode: 'real' | 'noop'
}

/** Routes each launch to the configured launcher or the no-op one, by the current mode. */
export function createSwitchLauncher(real: ProcessLauncher): SwitchLauncher {
  const noop = createNoopLauncher()
  const sw: SwitchLauncher = {
    mode: 'real',
    launch: (spec, handlers) => (sw.mode === 'noop' ? noop : real).launch(spec, handlers),
    close: () => real.close(),
  }
  return sw
}
