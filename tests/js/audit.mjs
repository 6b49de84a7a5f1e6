// Runs graphql-http's own audit of the GraphQL-over-HTTP spec against a served endpoint and
// prints one JSON array: every audit's id, name ("MUST ...", "SHOULD ...", "MAY ..."),
// status ("ok", "warn" or "error") and, when it missed, why.
//
//   node audit.mjs <http url of /graphql>
import { auditServer } from "graphql-http";

const [url] = process.argv.slice(2);
const results = await auditServer({ url, fetchFn: fetch });
console.log(
  JSON.stringify(
    results.map((result) => ({
      id: result.id,
      name: result.name,
      status: result.status,
      reason: result.status === "ok" ? null : result.reason,
    })),
  ),
);
