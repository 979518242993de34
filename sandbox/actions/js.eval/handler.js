// js.eval: builds the agent's code as an async function with one parameter `input`, inside
// the sandbox, and returns what it returns. The sandbox turns a non-JSON result into an
// error and bounds time, memory and output size.
const AsyncFunction = (async function () {}).constructor;
const run = new AsyncFunction('input', args.code);
const result = await run(args.input);
if (result === undefined) {
  // `{"code":"1+2"}` returns nothing: answer SBX_ERR_BAD_OUTPUT with what to do instead
  return { toJSON() { throw new Error('code is the body of an async function: use return (e.g. "return 1+2")'); } };
}
return result;
