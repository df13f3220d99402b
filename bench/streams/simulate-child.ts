// `tickets simulate`'s driver (runSimulation) in a process of its own, so that the load it
// generates does not delay the event loop of the process that times deliveries. Takes its
// options as one JSON argument, prints the result as JSON on stdout.
import { runSimulation, type SimulationOptions } from '../../src/simulate/index.js'

const options = JSON.parse(process.argv[2] ?? '{}') as SimulationOptions
const result = await runSimulation({ ...options, allowInsecureHttp: true })
process.stdout.write(`${JSON.stringify(result)}\n`)
