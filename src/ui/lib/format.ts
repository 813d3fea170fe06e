/** Times, durations and sizes as the pages print them. */

export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–'
  if (ms < 1000) return `${Math.round(ms)} ms`
  const s = ms / 1000
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`
  const m = Math.floor(s / 60)
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`
  return `${Math.floor(m / 60)} h ${m % 60} min`
}

export function durationBetween(
  from: string | null,
  to: string | null,
  now: number,
): number | null {
  if (!from) return null
  const end = to ? Date.parse(to) : now
  return end - Date.parse(from)
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '–'
  const d = new Date(iso)
  return d.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  })
}

export function formatAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return '–'
  const s = Math.round((now - Date.parse(iso)) / 1000)
  const future = s < 0
  const a = Math.abs(s)
  const text =
    a < 60
      ? `${a} s`
      : a < 3600
        ? `${Math.floor(a / 60)} min`
        : a < 86_400
          ? `${Math.floor(a / 3600)} h`
          : `${Math.floor(a / 86_400)} d`
  return future ? `in ${text}` : `${text} ago`
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`
  return `${(n / 1024 / 1024).toFixed(1)} MiB`
}

export function shortId(id: string): string {
  return id.slice(0, 8)
}
