// How `tickets webhooks` shows endpoints and attempts: lines for people, JSON (the API's wire
// shapes) with --json.
import type { WebhookDelivery, WebhookEndpoint } from '../contract/webhook-endpoint.js'

const write = (text: string) => process.stdout.write(text)

export function printEndpoint(endpoint: WebhookEndpoint & { secret?: string }, json: boolean, verb?: string): void {
  if (json) return void write(`${JSON.stringify(endpoint)}\n`)
  const { delivery } = endpoint
  const lines = [
    `${verb ? `${verb} webhook endpoint` : 'Webhook endpoint'} ${endpoint.id}`,
    `  url:            ${endpoint.url}`,
    `  event types:    ${endpoint.event_types.join(' ')}`,
    ...(endpoint.description ? [`  description:    ${endpoint.description}`] : []),
    `  state:          ${endpoint.disabled ? `disabled: ${endpoint.disabled_reason}` : 'enabled'}`,
    `  last event:     ${delivery.last_event_id ?? '(none yet)'}`,
    ...(delivery.retrying_event_id
      ? [`  retrying:       ${delivery.retrying_event_id}, attempt ${delivery.attempt}, next at ${delivery.next_attempt_at ?? '(none)'}`]
      : []),
    ...(endpoint.previous_secret_expires_at ? [`  previous secret signs until ${endpoint.previous_secret_expires_at}`] : []),
    ...(endpoint.secret ? [`  secret:         ${endpoint.secret}`, 'The secret is shown only now; store it safely.'] : []),
  ]
  write(`${lines.join('\n')}\n`)
}

export function printEndpoints(endpoints: WebhookEndpoint[], json: boolean): void {
  if (json) return void write(`${JSON.stringify(endpoints)}\n`)
  if (endpoints.length === 0)
    return void write('No webhook endpoints. Create one with: tickets webhooks create --provider <uuid> --url <url> --event-type <type>\n')
  for (const endpoint of endpoints)
    write(`${endpoint.id}  ${endpoint.disabled ? 'disabled' : 'enabled '}  ${endpoint.url}  ${endpoint.event_types.join(',')}\n`)
}

const outcomeOf = (attempt: WebhookDelivery) =>
  attempt.response_status !== null ? `answered ${attempt.response_status}` : `failed: ${attempt.error ?? 'no answer'}`

export function printTestOutcome(attempt: WebhookDelivery, json: boolean): void {
  if (json) return void write(`${JSON.stringify(attempt)}\n`)
  write(
    `Test event ${attempt.event_id} ${attempt.succeeded ? 'delivered' : 'not delivered'}: ${outcomeOf(attempt)} in ${attempt.duration_ms} ms\n`,
  )
}

export function printDeliveries(page: { result: WebhookDelivery[]; total: number }, json: boolean): void {
  if (json) return void write(`${JSON.stringify(page)}\n`)
  if (page.total === 0) return void write('No delivery attempts yet.\n')
  for (const attempt of page.result)
    write(
      `${attempt.attempted_at}  ${attempt.event_id}  ${attempt.event_type}  #${attempt.attempt}  ${outcomeOf(attempt)}  ${attempt.duration_ms} ms` +
        `${attempt.next_attempt_at ? `  next ${attempt.next_attempt_at}` : ''}\n`,
    )
  if (page.total > page.result.length) write(`… ${page.total - page.result.length} older attempts (--limit to see more)\n`)
}
