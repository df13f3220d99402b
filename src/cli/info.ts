// tickets openapi / tickets config: print what the service would serve or use, no store needed.
import { describeConfig, loadConfig } from '../config.js'
import { buildOpenApiDocument } from '../http/openapi.js'
import { parseCommandArgs } from './usage.js'

export async function openapiCommand(args: string[]): Promise<number> {
  parseCommandArgs(args, {})
  process.stdout.write(`${JSON.stringify(await buildOpenApiDocument(), null, 2)}\n`)
  return 0
}

export async function configCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { json: { type: 'boolean' } })
  const rows = describeConfig(loadConfig())
  if (values.json) process.stdout.write(`${JSON.stringify(Object.fromEntries(rows.map((r) => [r.key, r.value])))}\n`)
  else for (const row of rows) process.stdout.write(`${row.env}=${row.value}\n    # ${row.why}\n`)
  return 0
}
