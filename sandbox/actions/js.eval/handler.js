// js.eval: builds the agent's code as an async function with one parameter `input`, inside
// the sandbox, and returns what it returns. The sandbox turns a non-JSON result into an
// error and bounds time, memory and output size.
const AsyncFunction = (async function () {}).constructor;
const run = new AsyncFunction('input', args.code);
return await run(args.input);
