// PostGraphile 4, the read benchmark's peer: one Node process on the bench's database,
// the connection-filter plugin, no watch mode, no query log, read-only (no mutations).
//   DATABASE_URL=postgres://... PORT=... node server.js
"use strict";

const http = require("http");
const { Pool } = require("pg");
const { postgraphile } = require("postgraphile");
const ConnectionFilterPlugin = require("postgraphile-plugin-connection-filter");

// As many connections as the API's engine and the floor may open.
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: 20 });

const graphql = postgraphile(pool, "public", {
  appendPlugins: [ConnectionFilterPlugin],
  disableDefaultMutations: true,
  disableQueryLog: true,
  graphiql: false,
  enhanceGraphiql: false,
  watchPg: false,
  retryOnInitFail: false,
  setofFunctionsContainNulls: false,
  ignoreRBAC: false,
  legacyRelations: "omit",
});

const server = http.createServer((request, response) => {
  if (request.url === "/healthz") {
    response.writeHead(200, { "Content-Type": "text/plain" });
    response.end("ok");
    return;
  }
  graphql(request, response);
});

server.listen(Number(process.env.PORT), "127.0.0.1");

function stop() {
  server.close(() => pool.end().then(() => process.exit(0)));
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
