// Credentials only over https, or plain http to this machine: createTicketsClient refuses an
// http baseUrl to any other host unless allowInsecureHttp says the caller means it, and the CLI
// does the same (TICKETS_ALLOW_INSECURE_HTTP=1 or --allow-insecure-http). No server is needed:
// a refused client never sends anything, which a counting fetch checks.
import { describe, expect, it } from 'vitest'
import { main } from '../src/cli.js'
import { createTicketsClient, InsecureBaseUrlError, isLoopbackHost } from '../src/index.js'

const credentials = { clientId: 'client-id', clientSecret: 'client-secret' }

/** A fetch that counts its calls and answers every request 401 invalid-client. */
function countingFetch() {
  const urls: string[] = []
  const fetch: typeof globalThis.fetch = async (input) => {
    urls.push(String(input))
    const problem = { type: 'about:blank', title: 'Unauthorized', status: 401, detail: 'Unknown client.', code: 'invalid-client' }
    return new Response(JSON.stringify(problem), { status: 401, headers: { 'content-type': 'application/problem+json' } })
  }
  return { fetch, urls }
}

describe('no credentials over plain http to remote hosts', () => {
  it.each([
    'http://tickets.example.com',
    'http://10.0.0.8:8080',
    'http://192.168.1.2',
    'http://[::2]',
    'http://[::ffff:127.0.0.1]',
    'http://127.evil.example',
    'http://localhost.example.com/api',
  ])('refuses %s at creation, with InsecureBaseUrlError, before sending anything', (baseUrl) => {
    const { fetch, urls } = countingFetch()
    let thrown: unknown
    try {
      createTicketsClient({ baseUrl, ...credentials, fetch })
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(InsecureBaseUrlError)
    const error = thrown as InsecureBaseUrlError
    expect(error.baseUrl).toBe(new URL(baseUrl).href)
    expect(error.message).toMatch(/^refusing to send credentials over plain http to .+: use an https baseUrl .*allowInsecureHttp: true/)
    expect(urls).toEqual([])
  })

  it.each([
    'http://localhost:8080',
    'http://LOCALHOST',
    'http://127.0.0.1:9',
    'http://127.8.9.10',
    'http://127.1',
    'http://[::1]:8080',
    'https://tickets.example.com',
    'http://localhost./v2',
  ])('allows %s', (baseUrl) => {
    expect(() => createTicketsClient({ baseUrl, ...credentials })).not.toThrow()
  })

  it('allows a remote plain http baseUrl with allowInsecureHttp: true, and then sends to it', async () => {
    const { fetch, urls } = countingFetch()
    const client = createTicketsClient({
      baseUrl: 'http://tickets.example.com',
      ...credentials,
      fetch,
      allowInsecureHttp: true,
      retries: 0,
    })
    await expect(client.token()).rejects.toMatchObject({ status: 401, code: 'invalid-client' })
    expect(urls).toEqual(['http://tickets.example.com/oauth2/token'])
  })

  it('isLoopbackHost knows localhost, 127.0.0.0/8 and [::1] only', () => {
    expect(['localhost', '127.0.0.1', '127.255.255.255', '[::1]'].every(isLoopbackHost)).toBe(true)
    expect(['example.com', '128.0.0.1', '[::2]', '0.0.0.0', 'localhost.example.com', '127.0.0.1.nip.io'].some(isLoopbackHost)).toBe(false)
  })

  describe('the CLI', () => {
    const env = { TICKETS_API_URL: 'http://tickets.example.com', TICKETS_CLIENT_ID: 'client-id', TICKETS_CLIENT_SECRET: 'client-secret' }
    async function run(argv: string[], environment: Record<string, string>) {
      const { fetch, urls } = countingFetch()
      let stdout = ''
      let stderr = ''
      const code = await main(argv, environment, {
        stdout: (text) => void (stdout += text),
        stderr: (text) => void (stderr += text),
        fetch,
      })
      return { code, stdout, stderr, urls }
    }

    it('exits 2 without sending anything when TICKETS_API_URL is plain http to a remote host', async () => {
      for (const argv of [['list'], ['get', 'x'], ['mark-processed', 'x']])
        expect(await run(argv, env), argv.join(' ')).toEqual({
          code: 2,
          stdout: '',
          stderr:
            'tickets-client: refusing to send credentials over plain http to tickets.example.com: use an https TICKETS_API_URL, ' +
            'or set TICKETS_ALLOW_INSECURE_HTTP=1 (or pass --allow-insecure-http) if you really mean it\n',
          urls: [],
        })
    })

    it('sends when TICKETS_ALLOW_INSECURE_HTTP=1 or --allow-insecure-http says so', async () => {
      const byEnv = await run(['get', 'x'], { ...env, TICKETS_ALLOW_INSECURE_HTTP: '1' })
      expect(byEnv).toMatchObject({ code: 1, urls: ['http://tickets.example.com/oauth2/token'] })
      expect(byEnv.stderr).toMatch(/answered 401 invalid-client/)
      const byFlag = await run(['list', '--allow-insecure-http', '--state', 'closed'], env)
      expect(byFlag).toMatchObject({ code: 1, urls: ['http://tickets.example.com/oauth2/token'] })
      expect(await run(['get', 'x'], { ...env, TICKETS_ALLOW_INSECURE_HTTP: 'yes' })).toMatchObject({
        code: 2,
        stderr: 'tickets-client: TICKETS_ALLOW_INSECURE_HTTP must be 1 or 0, got "yes"\n',
        urls: [],
      })
    })
  })
})
