// tsx bench/profile-top.ts <file.cpuprofile> [N]: the N functions with the most self time in a
// V8 CPU profile (from npm run bench -- --cpu-prof), with their share of the busy time, and the
// same grouped by package or source directory. For the call tree, open the file in Chrome
// DevTools → Performance.
import { readFileSync } from 'node:fs'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

const [file, count = '25'] = process.argv.slice(2)
if (!file) {
  process.stderr.write('usage: tsx bench/profile-top.ts <file.cpuprofile> [N]\n')
  process.exit(2)
}
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
const selfUs = new Map<number, number>()
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))

const byFunction = new Map<string, number>()
const byArea = new Map<string, number>()
let idle = 0
let total = 0
for (const [id, us] of selfUs) {
  const { functionName, url, lineNumber } = nodes.get(id)!.callFrame
  total += us
  if (functionName === '(idle)') {
    idle += us
    continue
  }
  const short = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\//, '')
  const name = `${functionName || '(anonymous)'}  ${short.split('/').slice(-2).join('/')}:${lineNumber + 1}`
  byFunction.set(name, (byFunction.get(name) ?? 0) + us)
  const area = !url
    ? functionName
    : url.includes('/node_modules/')
      ? short.split('/')[0]!
      : url.startsWith('node:')
        ? 'node internals'
        : short.split('/').slice(-3, -1).join('/')
  byArea.set(area, (byArea.get(area) ?? 0) + us)
}
const busy = total - idle
const line = (us: number, name: string) =>
  `${(us / 1000).toFixed(0).padStart(8)} ms ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${name}`
process.stdout.write(
  `${(total / 1000).toFixed(0)} ms profiled, ${(busy / 1000).toFixed(0)} ms busy (${((busy / total) * 100).toFixed(0)}%)\n\nself time by function:\n`,
)
for (const [name, us] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) process.stdout.write(`${line(us, name)}\n`)
process.stdout.write('\nself time by package / directory:\n')
for (const [name, us] of [...byArea].sort((a, b) => b[1] - a[1]).slice(0, 15)) process.stdout.write(`${line(us, name)}\n`)
