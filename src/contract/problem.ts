// RFC 9457 problem details, as every non-2xx response of this service is shaped.
import Type, { type Static } from 'typebox'

export const ProblemErrorSchema = Type.Object(
  {
    in: Type.Union([Type.Literal('query'), Type.Literal('path'), Type.Literal('body'), Type.Literal('header')]),
    name: Type.String({ description: 'The parameter, body member or header that was wrong.' }),
    detail: Type.String({ description: 'What was wrong with it, as a sentence.' }),
  },
  { additionalProperties: false, title: 'ProblemError' },
)
export type ProblemError = Static<typeof ProblemErrorSchema>

export const ProblemSchema = Type.Object(
  {
    type: Type.String({ description: 'Always "about:blank": the HTTP status says what kind of problem it is.' }),
    title: Type.String({ description: 'The HTTP reason phrase.' }),
    status: Type.Integer({ description: 'The HTTP status code.' }),
    detail: Type.String({ description: 'What went wrong in this occurrence, for humans.' }),
    code: Type.String({ description: 'Stable machine-readable slug, listed in docs/errors.md.' }),
    errors: Type.Optional(Type.Array(ProblemErrorSchema, { description: 'One entry per invalid input.' })),
    error: Type.Optional(Type.String({ description: 'RFC 6749 §5.2 error code (token endpoint only).' })),
    state: Type.Optional(Type.String({ description: 'The ticket’s current state (transition-not-allowed only).' })),
    allowed_actions: Type.Optional(
      Type.Array(Type.String(), { description: 'The actions the ticket’s current state allows (transition-not-allowed only).' }),
    ),
  },
  { additionalProperties: false, title: 'Problem' },
)
export type Problem = Static<typeof ProblemSchema>
