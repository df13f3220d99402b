// docs/errors.md and src/errors/catalog.ts must list the same problem slugs, both ways.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ERROR_CATALOG } from '../../src/errors/catalog.js'

const documented = [...readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8').matchAll(/^## (\S+)$/gm)].map((m) => m[1])

describe('problem catalogue documentation', () => {
  it('documents every slug the service can answer with', () => {
    expect(Object.keys(ERROR_CATALOG).filter((slug) => !documented.includes(slug))).toEqual([])
  })

  it('documents no slug that does not exist', () => {
    expect(documented.filter((slug) => !(slug! in ERROR_CATALOG))).toEqual([])
  })

  it('states each slug’s HTTP status in its section', () => {
    const text = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8')
    for (const [slug, { status }] of Object.entries(ERROR_CATALOG)) {
      const section = text.split(`## ${slug}\n`)[1]!.split('\n## ')[0]!
      expect(section.startsWith(`${status}`), `${slug} should start with ${status}`).toBe(true)
    }
  })
})
