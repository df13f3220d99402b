// tickets import / export: NDJSON in and out, streamed so a million lines never sit in memory.
import { createReadStream } from 'node:fs'
import { once } from 'node:events'
import type { Readable } from 'node:stream'
import { ImportLineError } from '../domain/import-errors.js'
import { ImportFailedError, readImportBatches } from '../domain/import-lines.js'
import { type FieldError, parseUuid } from '../domain/values.js'
import { loadConfig } from '../config.js'
import { importTicketsByCopy } from '../store/import-copy.js'
import { openConfiguredStore } from './open.js'
import { describeStartupError } from './startup-errors.js'
import { parseCommandArgs, UsageError } from './usage.js'

function providerOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  try {
    return parseUuid(value)
  } catch (error) {
    throw new UsageError(`--provider ${(error as FieldError).message}`)
  }
}

async function openInput(path: string): Promise<Readable> {
  if (path === '-') return process.stdin
  const stream = createReadStream(path)
  await once(stream, 'open')
  return stream
}

export async function importCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { provider: { type: 'string' } }, true)
  if (positionals.length !== 1) throw new UsageError('import needs exactly one <file.ndjson> or - for stdin')
  const provider = providerOption(values.provider)
  let input: Readable
  try {
    input = await openInput(positionals[0]!)
  } catch (error) {
    process.stderr.write(`tickets: cannot read ${positionals[0]}: ${(error as Error).message}\n`)
    return 1
  }
  const config = loadConfig()
  const store = await openConfiguredStore(config, 'tickets import')
  const started = Date.now()
  let lastReport = started
  const progress = (lines: number, staged?: boolean) => {
    if (staged) process.stderr.write(`tickets: ${lines} lines validated and staged; writing them…\n`)
    else if (Date.now() - lastReport >= 1000) {
      lastReport = Date.now()
      process.stderr.write(`tickets: ${lines} lines validated and staged…\n`)
    }
  }
  try {
    const batches = readImportBatches(input, provider)
    // On PostgreSQL the rows go in through COPY on a connection of the import's own (the store,
    // opened above, has applied the migrations); the embedded store stages them with statements.
    const result = config.databaseUrl
      ? await importTicketsByCopy(config.databaseUrl, batches, progress)
      : await store.importTickets(batches, progress)
    const lines = result.inserted + result.updated + result.unchanged
    const seconds = (Date.now() - started) / 1000
    process.stderr.write(
      `tickets: imported ${lines} tickets (${result.inserted} new, ${result.updated} updated, ${result.unchanged} unchanged) ` +
        `in ${seconds.toFixed(1)} s, ${Math.round(lines / Math.max(seconds, 0.001))} lines/s\n`,
    )
    return 0
  } catch (error) {
    if (error instanceof ImportFailedError || error instanceof ImportLineError) {
      process.stderr.write(`${error.message}\ntickets: nothing was imported\n`)
      return 1
    }
    if ((error as { code?: unknown }).code === '55P03') {
      process.stderr.write(`tickets: ${describeStartupError(error, config)}; nothing was imported\n`)
      return 1
    }
    throw error
  } finally {
    await store.close()
  }
}

export async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, { provider: { type: 'string' } })
  const provider = providerOption(values.provider)
  const store = await openConfiguredStore(loadConfig(), 'tickets export')
  // A reader that stops early (`| head`) closes the pipe: that ends the export quietly.
  let closed = false
  process.stdout.on('error', () => (closed = true))
  try {
    for await (const batch of store.exportTickets(provider)) {
      const text = batch
        .map(({ providerId, ticket }) => JSON.stringify(provider ? ticket : { ...ticket, provider_id: providerId }))
        .join('\n')
      if (closed) break
      if (!process.stdout.write(`${text}\n`)) await once(process.stdout, 'drain')
    }
    return 0
  } catch (error) {
    if (closed) return 0
    throw error
  } finally {
    await store.close()
  }
}
