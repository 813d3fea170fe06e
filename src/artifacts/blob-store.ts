/**
 * Where artifact files and state archives rest: a small interface so the local folder (the only
 * backend today) can be joined by others. Keys are relative, `/`-separated paths made by the
 * server (never from user input). Every write is atomic: readers see the old bytes or the new,
 * never a part.
 */
import type { Readable } from 'node:stream'

export class BlobTooLargeError extends Error {
  readonly limit: number
  constructor(limit: number) {
    super(`more than ${limit} bytes`)
    this.name = 'BlobTooLargeError'
    this.limit = limit
  }
}

export interface BlobStore {
  /** Stores a stream under `key`; past `maxBytes` it stops, stores nothing and throws BlobTooLargeError. */
  write(key: string, source: AsyncIterable<Buffer>, opts: { maxBytes: number }): Promise<number>
  /** Stores a copy of a local file under `key` (BlobTooLargeError past `maxBytes`). */
  copyFrom(key: string, path: string, opts: { maxBytes: number }): Promise<number>
  /** The stored size, or undefined when there is no such blob. */
  size(key: string): Promise<number | undefined>
  /** The bytes from `start` to `end` (inclusive), or all of them. */
  read(key: string, range?: { start: number; end: number }): Readable
  delete(keys: ReadonlyArray<string>): Promise<void>
  /** Deletes every blob whose key starts with `prefix` (a folder: ends in `/`). */
  deletePrefix(prefix: string): Promise<void>
}
