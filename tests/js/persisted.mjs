// Drives the API with a real client's persisted-query support and prints one JSON object:
// what each query answered, and every HTTP exchange the client made (method, whether the
// query text was sent, status, the error codes).
//
//   node persisted.mjs <apollo|urql> <http url of /graphql> <token> <query> [<query> ...]
//
// Each query runs twice, network-only: the first time registers its hash (or finds it
// registered), the second sends the hash alone.
import { createHash } from "node:crypto";

const [library, url, token, ...queries] = process.argv.slice(2);
const exchanges = [];

function sha256(text) {
  return createHash("sha256").update(text).digest("hex");
}

async function recordingFetch(input, init = {}) {
  const target = new URL(typeof input === "string" ? input : input.url);
  const response = await fetch(input, init);
  const body = await response.clone().text();
  let codes = [];
  try {
    codes = (JSON.parse(body).errors ?? []).map((error) => error.extensions?.code ?? null);
  } catch {
    codes = ["(not JSON)"];
  }
  const sent = init.method === "GET" ? target.searchParams.get("query") : JSON.parse(init.body ?? "{}").query;
  exchanges.push({
    method: init.method ?? "GET",
    sentQuery: typeof sent === "string" && sent.length > 0,
    status: response.status,
    contentType: response.headers.get("content-type"),
    codes,
  });
  return response;
}

async function withApollo() {
  const { ApolloClient, InMemoryCache, HttpLink, gql } = await import("@apollo/client");
  const { PersistedQueryLink } = await import("@apollo/client/link/persisted-queries");
  const client = new ApolloClient({
    link: new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
      new HttpLink({ uri: url, fetch: recordingFetch, headers: { Authorization: `Bearer ${token}` } }),
    ),
    cache: new InMemoryCache(),
  });
  const answers = [];
  for (const query of queries) {
    for (let round = 0; round < 2; round++) {
      try {
        const result = await client.query({ query: gql(query), fetchPolicy: "network-only" });
        answers.push({ data: result.data ?? null, error: result.error ? String(result.error) : null });
      } catch (error) {
        answers.push({ data: null, error: String(error) });
      }
    }
  }
  return answers;
}

async function withUrql() {
  const { Client, fetchExchange } = await import("@urql/core");
  const { persistedExchange } = await import("@urql/exchange-persisted");
  const client = new Client({
    url,
    fetch: recordingFetch,
    fetchOptions: { headers: { Authorization: `Bearer ${token}` } },
    exchanges: [
      persistedExchange({ preferGetForPersistedQueries: true, generateHash: async (query) => sha256(query) }),
      fetchExchange,
    ],
  });
  const answers = [];
  for (const query of queries) {
    for (let round = 0; round < 2; round++) {
      const result = await client.query(query, {}, { requestPolicy: "network-only" }).toPromise();
      answers.push({ data: result.data ?? null, error: result.error ? String(result.error) : null });
    }
  }
  return answers;
}

const answers = library === "apollo" ? await withApollo() : await withUrql();
console.log(JSON.stringify({ answers, exchanges }));
