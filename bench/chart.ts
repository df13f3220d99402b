// The scale curve as an SVG line chart, written by hand: latency (log) against table size (log),
// p50 as solid lines with dots, p99 dashed, one colour per scenario.

export interface Series {
  name: string
  points: Array<{ tickets: number; p50: number; p99: number }>
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf']
const W = 780
const H = 460
const M = { left: 64, right: 190, top: 48, bottom: 56 }

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const fmt = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n))
const fmtMs = (n: number) => (n >= 1 ? String(Math.round(n * 10) / 10) : String(Math.round(n * 100) / 100))

/** 1-2-5 ticks between lo and hi (powers of ten only over more than four decades). */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = []
  const mantissas = Math.log10(hi / lo) > 4 ? [1] : [1, 2, 5]
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++)
    for (const m of mantissas) {
      const v = m * 10 ** e
      if (v >= lo && v <= hi) ticks.push(v)
    }
  return ticks
}

export function scaleChart(series: Series[], title: string, subtitle: string): string {
  const all = series.flatMap((s) => s.points)
  const sizes = [...new Set(all.map((p) => p.tickets))].sort((a, b) => a - b)
  const latencies = all.flatMap((p) => [p.p50, p.p99]).filter((v) => Number.isFinite(v) && v > 0)
  const x0 = Math.log10(sizes[0]!) - 0.15
  const x1 = Math.log10(sizes.at(-1)!) + 0.15
  const yLo = 10 ** Math.floor(Math.log10(Math.min(...latencies) / 1.2))
  const yHi = 10 ** Math.ceil(Math.log10(Math.max(...latencies) * 1.2))
  const px = (t: number) => M.left + ((Math.log10(t) - x0) / (x1 - x0)) * (W - M.left - M.right)
  const py = (ms: number) =>
    H - M.bottom - ((Math.log10(ms) - Math.log10(yLo)) / (Math.log10(yHi) - Math.log10(yLo))) * (H - M.top - M.bottom)
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${M.left}" y="20" font-size="15" font-weight="bold">${esc(title)}</text>`,
    `<text x="${M.left}" y="37" fill="#555">${esc(subtitle)}</text>`,
  ]
  for (const v of logTicks(yLo, yHi)) {
    const y = py(v).toFixed(1)
    out.push(`<line x1="${M.left}" x2="${W - M.right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${M.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${fmtMs(v)}</text>`)
  }
  for (const t of sizes) {
    const x = px(t).toFixed(1)
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${H - M.bottom}" stroke="#e5e5e5"/>`)
    out.push(`<text x="${x}" y="${H - M.bottom + 18}" text-anchor="middle">${fmt(t)}</text>`)
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${W - M.left - M.right}" height="${H - M.top - M.bottom}" fill="none" stroke="#999"/>`)
  out.push(`<text x="${(M.left + W - M.right) / 2}" y="${H - 14}" text-anchor="middle">tickets in the table (log scale)</text>`)
  out.push(`<text transform="translate(16 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">latency, ms (log scale)</text>`)
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length]!
    const points = s.points.filter((p) => p.p50 > 0 && p.p99 > 0).sort((a, b) => a.tickets - b.tickets)
    const line = (pick: (p: (typeof points)[number]) => number) =>
      points.map((p) => `${px(p.tickets).toFixed(1)},${py(pick(p)).toFixed(1)}`).join(' ')
    out.push(`<polyline points="${line((p) => p.p50)}" fill="none" stroke="${colour}" stroke-width="2"/>`)
    out.push(`<polyline points="${line((p) => p.p99)}" fill="none" stroke="${colour}" stroke-width="1.5" stroke-dasharray="5 4"/>`)
    for (const p of points) out.push(`<circle cx="${px(p.tickets).toFixed(1)}" cy="${py(p.p50).toFixed(1)}" r="3.5" fill="${colour}"/>`)
    const ly = M.top + 10 + i * 20
    out.push(`<line x1="${W - M.right + 14}" x2="${W - M.right + 40}" y1="${ly}" y2="${ly}" stroke="${colour}" stroke-width="2"/>`)
    out.push(`<text x="${W - M.right + 46}" y="${ly}" dominant-baseline="middle">${esc(s.name)}</text>`)
  })
  const ly = M.top + 20 + series.length * 20
  out.push(`<text x="${W - M.right + 14}" y="${ly}" fill="#555">solid: p50</text>`)
  out.push(`<text x="${W - M.right + 14}" y="${ly + 16}" fill="#555">dashed: p99</text>`)
  out.push('</svg>')
  return `${out.join('\n')}\n`
}
