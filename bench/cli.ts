// Running the service's own CLI. The bench compiles src/ into its own directory (.bench/dist)
// so that what it measures is the current source, and a `npm run build` or test run elsewhere
// (they rewrite dist/) cannot swap files under a running benchmark. `node .bench/dist/cli/main.js`
// is exactly what `bin/tickets` runs. With --ref, src/ of that commit (`git archive`) is
// compiled into .bench/ref-<sha>/dist instead, to measure an earlier implementation.
import { execFileSync, execSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dirname, '..')

export interface Build {
  /** What was measured: "working tree at <sha>" (with "+ changes" if src/ differs from it) or "commit <sha>". */
  label: string
  /** Short commit of a --ref build; names its stores apart, since schemas differ between versions. */
  ref?: string
  entry: string
}

let build: Build = { label: 'working tree', entry: join(ROOT, '.bench/dist/cli/main.js') }

/** The CLI entry of the build being measured. */
export const cliEntry = () => build.entry

function newestMtime(dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs)
  }
  return newest
}

const git = (args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim()

/**
 * Compiles the server: src/ into .bench/dist unless that is already newer than every source
 * file, or, with a ref, that commit's src/ into .bench/ref-<sha>/dist (once).
 */
export function ensureBuilt(log: (line: string) => void, ref?: string): Build {
  if (ref) {
    const sha = git(['rev-parse', '--short=7', `${ref}^{commit}`])
    const dir = join(ROOT, '.bench', `ref-${sha}`)
    const entry = join(dir, 'dist/cli/main.js')
    if (!existsSync(entry)) {
      log(`compiling src/ of ${sha} into ${dir}/dist …`)
      mkdirSync(dir, { recursive: true })
      execSync(`git archive ${sha} src tsconfig.json tsconfig.build.json | tar -x -C '${dir}'`, { cwd: ROOT, stdio: 'inherit' })
      execFileSync('npx', ['tsc', '-p', join(dir, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' })
    }
    build = { label: `commit ${sha}`, ref: sha, entry }
    return build
  }
  const entry = join(ROOT, '.bench/dist/cli/main.js')
  if (!existsSync(entry) || statSync(entry).mtimeMs <= newestMtime(join(ROOT, 'src'))) {
    log('compiling src/ into .bench/dist …')
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json', '--outDir', join(ROOT, '.bench/dist')], { cwd: ROOT, stdio: 'inherit' })
  }
  let label = 'working tree'
  try {
    label = `working tree at ${git(['rev-parse', '--short=7', 'HEAD'])}${git(['status', '--porcelain', '--', 'src']) ? ' + uncommitted changes in src/' : ''}`
  } catch {
    // not a git checkout
  }
  build = { label, entry }
  return build
}

/** The environment for the service: ours, minus every inherited TICKETS_* (the config rejects unknown ones). */
export function serviceEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith('TICKETS_')) env[key] = value
  // Rate and per-client concurrency limits off: the load generator is one client sending far
  // more than any partner may, on purpose.
  const unlimited = {
    TICKETS_RATE_LIMIT: '0',
    TICKETS_TOKEN_RATE_LIMIT_PER_CLIENT: '0',
    TICKETS_TOKEN_RATE_LIMIT_PER_ADDRESS: '0',
    TICKETS_CLIENT_CONCURRENCY: '0',
  }
  return { ...env, TICKETS_LOG_LEVEL: 'warn', TICKETS_DEMO: 'never', ...unlimited, ...settings }
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `tickets <args>`; `input` is a file streamed to stdin (import -). */
export function runCli(args: string[], env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child: ChildProcess = spawn(process.execPath, [...nodeArgs, cliEntry(), ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    child.once('error', reject)
    child.once('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }))
  })
}

export async function runCliOrThrow(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  const result = await runCli(args, env)
  if (result.code !== 0) throw new Error(`tickets ${args.join(' ')} exited with ${result.code}: ${result.stderr.trim()}`)
  return result
}
