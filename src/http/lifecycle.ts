// The server's phase as the probes report it. On SIGTERM the server turns `draining` on
// first, so /readyz answers 503 and load balancers stop sending traffic while requests in
// flight finish.
export class Lifecycle {
  draining = false
}
