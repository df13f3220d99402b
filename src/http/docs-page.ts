// A self-contained HTML reference rendered from the OpenAPI document: no CDN, no script,
// readable offline, and never out of step with /openapi.json because it is made from it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- walks an arbitrary JSON document
type Json = Record<string, any>

const escape = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

function typeOf(schema: Json | undefined): string {
  if (!schema) return ''
  if (schema.$ref) return String(schema.$ref).split('/').pop()!
  if (schema.type === 'array') return `${typeOf(schema.items)}[]`
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'object')
  const extras = [schema.format, schema.enum ? `one of ${schema.enum.filter((v: unknown) => v !== null).join(', ')}` : undefined]
  return [type, ...extras.filter(Boolean)].join(', ')
}

function schemaTable(schema: Json): string {
  const required = new Set<string>(schema.required ?? [])
  const rows = Object.entries<Json>(schema.properties ?? {}).map(
    ([name, property]) =>
      `<tr><td><code>${escape(name)}</code>${required.has(name) ? '' : ' <small>optional</small>'}</td>` +
      `<td>${escape(typeOf(property))}</td><td>${escape(property.description ?? '')}</td></tr>`,
  )
  return `<table><tr><th>field</th><th>type</th><th>description</th></tr>${rows.join('')}</table>`
}

function operation(method: string, path: string, op: Json, shared: Json[]): string {
  const parameters = [...shared, ...(op.parameters ?? [])]
  const parameterRows = parameters
    .map(
      (p: Json) =>
        `<tr><td><code>${escape(p.name)}</code></td><td>${escape(p.in)}</td><td>${escape(typeOf(p.schema))}</td>` +
        `<td>${escape(p.description ?? '')}</td></tr>`,
    )
    .join('')
  const body = op.requestBody
    ? `<p>Body: ${Object.entries<Json>(op.requestBody.content)
        .map(([type, media]) => `<code>${escape(type)}</code> → ${escape(typeOf(media.schema))}`)
        .join(', ')}</p>`
    : ''
  const responses = Object.entries<Json>(op.responses)
    .map(([status, response]) => `<li><b>${escape(status)}</b> ${escape(response.description)}</li>`)
    .join('')
  const scopes = (op.security ?? []).flatMap((s: Json) => s.OAuth2 ?? [])
  return `<section id="${escape(op.operationId)}"><h3><span class="m">${method.toUpperCase()}</span> <code>${escape(path)}</code></h3>
<p><b>${escape(op.summary)}</b>${scopes.length ? ` — scope <code>${escape(scopes.join(' '))}</code>` : ''}</p>
<p>${escape(op.description ?? '')}</p>
${parameters.length ? `<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>${parameterRows}</table>` : ''}
${body}<ul>${responses}</ul></section>`
}

export function renderDocsPage(document: Json): string {
  const operations = Object.entries<Json>(document.paths).flatMap(([path, item]) =>
    Object.entries<Json>(item)
      .filter(([method]) => method !== 'parameters')
      .map(([method, op]) => operation(method, path, op, item.parameters ?? [])),
  )
  const schemas = Object.entries<Json>(document.components.schemas)
    .filter(([, schema]) => schema.properties)
    .map(([name, schema]) => `<section id="schema-${escape(name)}"><h3>${escape(name)}</h3>${schemaTable(schema)}</section>`)
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(document.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}code{background:#f3f3f3;padding:0 .2rem}.m{background:#225;color:#fff;padding:0 .4rem;border-radius:3px}
section{border-top:1px solid #eee;padding-top:.5rem}</style></head><body>
<h1>${escape(document.info.title)} <small>${escape(document.info.version)}</small></h1>
<p>${escape(document.info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${escape(document.openapi)}).</p>
<h2>Operations</h2>${operations.join('\n')}<h2>Schemas</h2>${schemas.join('\n')}</body></html>`
}
