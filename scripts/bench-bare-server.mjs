// The ceiling to compare intake against: bare node:http, one INSERT per POST, 202 after commit.
import http from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 20 });
await pool.query(`CREATE TABLE IF NOT EXISTS bare_events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload jsonb NOT NULL, received_at timestamptz NOT NULL DEFAULT now())`);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    try {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const { rows } = await pool.query('INSERT INTO bare_events (payload) VALUES ($1) RETURNING id', [body]);
      res.writeHead(202, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ eventId: String(rows[0].id), status: 'accepted' }));
    } catch {
      res.writeHead(400);
      res.end();
    }
  });
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => pool.end().then(() => process.exit(0))));
