// docs/openapi.json is generated (npm run gen:openapi) and checked in; it must equal what the
// service serves, so a schema change without regenerating fails here.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { buildOpenApiDocument } from '../../src/http/openapi.js'

describe('checked-in OpenAPI document', () => {
  it('equals the document the service generates (run `npm run gen:openapi` after changing a schema)', async () => {
    const checkedIn = JSON.parse(readFileSync(new URL('../../docs/openapi.json', import.meta.url), 'utf8'))
    expect(checkedIn).toEqual(await buildOpenApiDocument())
  })
})
