// Worker threads do not inherit the TypeScript loader of their parent (jest's
// transform, or @swc-node/register under `npm start`): register it here.
if (!require.extensions[".ts"]) require("@swc-node/register");
require("./worker-main.ts");
