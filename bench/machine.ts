// What the figures were measured on: CPU, memory, versions, PostgreSQL settings, load.
import { cpus, loadavg, totalmem } from 'node:os'
import { readFileSync } from 'node:fs'
import { withAdmin } from './load.js'

export interface MachineInfo {
  date: string
  nproc: number
  cpuModel: string
  ramGiB: number
  node: string
  postgres: string
  sharedBuffers: string
  /** 1, 5 and 15 minute load averages when the bench started. */
  loadAtStart: number[]
}

function cpuModel(): string {
  try {
    const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
    if (match) return match[1]!.trim()
  } catch {
    // not Linux
  }
  return cpus()[0]?.model ?? 'unknown'
}

export async function machineInfo(databaseUrl: string): Promise<MachineInfo> {
  const pg = await withAdmin(databaseUrl, async (admin) => {
    const version = await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")
    const buffers = await admin.query<{ v: string }>("SELECT current_setting('shared_buffers') AS v")
    return { version: version.rows[0]!.v, sharedBuffers: buffers.rows[0]!.v }
  })
  return {
    date: new Date().toISOString(),
    nproc: cpus().length,
    cpuModel: cpuModel(),
    ramGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    postgres: pg.version,
    sharedBuffers: pg.sharedBuffers,
    loadAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  }
}

export const loadNow = () => loadavg().map((l) => Math.round(l * 100) / 100)
