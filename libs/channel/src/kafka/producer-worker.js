// The producer thread's entry, in plain JavaScript so that a thread can start
// it with no loader. From a build (dist/) the compiled producer-worker-main.js
// sits beside it; from the TypeScript sources, worker threads do not inherit
// their parent's loader (jest's transform, or @swc-node/register under `npm start`): register it here.
const { existsSync } = require("node:fs");
const { join } = require("node:path");

if (existsSync(join(__dirname, "producer-worker-main.js"))) {
  require("./producer-worker-main.js");
} else {
  if (!require.extensions[".ts"]) require("@swc-node/register");
  require("./producer-worker-main.ts");
}
