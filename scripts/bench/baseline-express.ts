/** Baseline: a bare Express 5 app answering POST /echo with express.json()'s parsed body. Prints READY <port>. */
import express from 'express';

const app = express();
app.use(express.json({ limit: '256kb' }));
app.post('/echo', (req, res) => {
  res.json(req.body);
});
const server = app.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`READY ${typeof addr === 'object' && addr !== null ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
