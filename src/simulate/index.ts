// The simulator: a live demo of the lifecycle through the HTTP API (see driver.ts).
export { runSimulation, type SimulationCredentials, type SimulationOptions, type SimulationResult } from './driver.js'
export { formatReport, type SimulationCounts, type SimulationReport } from './report.js'
export { seededRandom } from './data.js'
