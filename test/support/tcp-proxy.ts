// A TCP proxy on loopback between the app and PostgreSQL, playing the network in fault tests:
// it forwards, drops every connection (a reset), or black-holes (keeps the connections open and
// silently discards every byte both ways, as a dead route does) until told to resume.
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net'

export class TcpProxy {
  #server: Server | undefined
  #sockets = new Set<Socket>()
  #blackholed = false
  port = 0

  constructor(private readonly target: { host: string; port: number }) {}

  /** A proxy in front of the server a postgres:// URL names, and the same URL through it. */
  static async for(databaseUrl: string): Promise<{ proxy: TcpProxy; url: string }> {
    const direct = new URL(databaseUrl)
    const proxy = new TcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) })
    await proxy.open()
    const proxied = new URL(direct)
    proxied.hostname = '127.0.0.1'
    proxied.port = String(proxy.port)
    return { proxy, url: proxied.toString() }
  }

  async open(): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host)
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket)
        socket.on('close', () => this.#sockets.delete(socket))
        socket.on('error', () => socket.destroy())
      }
      client.on('data', (data) => void (this.#blackholed || upstream.write(data)))
      upstream.on('data', (data) => void (this.#blackholed || client.write(data)))
      client.on('close', () => upstream.destroy())
      upstream.on('close', () => client.destroy())
    })
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve))
    this.port = (this.#server.address() as AddressInfo).port
  }

  /** From now on nothing gets through, and nobody is told. */
  blackhole(): void {
    this.#blackholed = true
  }

  /** Forward again. Bytes dropped meanwhile stay lost: those connections are out of step. */
  resume(): void {
    this.#blackholed = false
  }

  /** Resets every open connection (new ones are still accepted). */
  dropAll(): void {
    for (const socket of this.#sockets) socket.destroy()
  }

  async close(): Promise<void> {
    this.dropAll()
    await new Promise<void>((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()))
    this.#server = undefined
  }
}
