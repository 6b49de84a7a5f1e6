// Subscribes with the graphql-ws npm package, the client Apollo and urql use, and prints
// each result as one JSON line on stdout. Ends after a result whose event has one of the
// given statuses, or after an error.
//
//   node subscribe.mjs <ws url> <token> <query> <variables JSON> <STATUS,STATUS>
import { createClient } from "graphql-ws";
import WebSocket from "ws";

const [url, token, query, variables, until] = process.argv.slice(2);
const last = new Set(until.split(","));

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
});

try {
  for await (const result of client.iterate({ query, variables: JSON.parse(variables) })) {
    console.log(JSON.stringify(result));
    const event = Object.values(result.data ?? {})[0];
    if (result.errors || (event && last.has(event.status))) break;
  }
} catch (error) {
  // A CloseEvent when the server refuses or drops the connection.
  console.log(JSON.stringify({ clientError: String(error?.reason ?? error?.message ?? error), code: error?.code ?? null }));
  process.exitCode = 1;
} finally {
  await client.dispose();
}
