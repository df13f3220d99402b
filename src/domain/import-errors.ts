// An import failure that points at one line of the input: `line N: <field>: <reason>`.
export class ImportLineError extends Error {
  constructor(
    readonly line: number,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`line ${line}: ${field}: ${reason}`)
    this.name = 'ImportLineError'
  }
}
