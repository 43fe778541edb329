import { DualServer } from "../libs/http/src/dual-server";
const s = new DualServer((req, res) => {
  let n = 0;
  req.on("data", (c: Buffer) => (n += c.length));
  req.on("end", () => { res.setHeader("content-type", "text/plain"); res.end(`v${req.httpVersion} ${req.method} ${req.url} body=${n}\n`); });
});
s.listen("127.0.0.1", 18080).then((p) => console.log("port", p));
