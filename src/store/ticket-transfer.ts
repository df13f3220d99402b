// Tickets in and out in bulk, across providers: the CLI's import and export (and the demo seed).
import type { Ticket } from '../contract/ticket.js'

/** One validated import line: the ticket and its owner. */
export interface ImportTicket {
  line: number
  providerId: string
  ticket: Ticket
}

/**
 * Hears the lines validated and staged so far after each batch, and once more with `staged`
 * when every line is staged and the import goes on to write them (the longer part of a big one).
 */
export type ImportProgress = (lines: number, staged?: boolean) => void

export interface ImportResult {
  inserted: number
  updated: number
  unchanged: number
}

export interface ExportedTicket {
  providerId: string
  ticket: Ticket
}

export interface TicketTransfer {
  /** All or nothing: any invalid or conflicting line rolls the whole import back. */
  importTickets(tickets: AsyncIterable<ImportTicket[]>, onProgress?: ImportProgress): Promise<ImportResult>
  /** Every ticket (or one provider's) in id order, in batches. */
  exportTickets(providerId?: string): AsyncIterable<ExportedTicket[]>
}
