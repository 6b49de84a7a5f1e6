// Prints, as one JSON line, the packages of a lock file whose `engines.node` refuses the
// given Node.js version, and exits 1 when there is any.
//
//   node check-engines.mjs <package-lock.json> <version>
import { readFileSync } from "node:fs";
import semver from "semver";

const [lockPath, version] = process.argv.slice(2);
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const refused = Object.entries(lock.packages)
  .filter(([, found]) => found.engines?.node && !semver.satisfies(version, found.engines.node))
  .map(([path, found]) => `${path || "(the project)"} wants node ${found.engines.node}`);
console.log(JSON.stringify(refused));
process.exitCode = refused.length > 0 ? 1 : 0;
