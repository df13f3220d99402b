// Runs `tickets simulate`'s driver in a child process (see simulate-child.ts).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { SimulationOptions, SimulationResult } from '../../src/simulate/index.js'

const CHILD = fileURLToPath(new URL('./simulate-child.ts', import.meta.url))

/** Runs the simulation in a child process (simulate-child.ts) and resolves with its result. */
export function runSimulationInChild(options: SimulationOptions): Promise<SimulationResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] })
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`the simulation exited with ${code}`))
      resolve(JSON.parse(stdout.trim().split('\n').pop()!) as SimulationResult)
    })
  })
}
