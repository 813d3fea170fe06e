/** Weir's version, reported by the server and by `weir worker` when it registers. */
export const VERSION = '0.1.0'
