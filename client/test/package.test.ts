// The package promises no runtime dependencies and no Node-only APIs in the library, so it
// runs in browsers too. These check the promise where it could quietly break.
import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'

const clientDir = new URL('..', import.meta.url)
const read = (path: string) => readFileSync(new URL(path, clientDir), 'utf8')

describe('client package', () => {
  it('has no runtime dependencies', () => {
    const pkg = JSON.parse(read('package.json')) as Record<string, unknown>
    expect(pkg.dependencies ?? {}).toEqual({})
    expect(pkg.peerDependencies ?? {}).toEqual({})
  })

  it('imports nothing but its own modules in the library (no node:, no packages)', () => {
    for (const file of readdirSync(new URL('src/', clientDir))) {
      const imports = [...read(`src/${file}`).matchAll(/^(?:import|export)\s[^'"]*from\s+'([^']+)'/gm)].map((m) => m[1])
      expect(
        imports.filter((specifier) => !specifier!.startsWith('./')),
        file,
      ).toEqual([])
    }
  })
})
