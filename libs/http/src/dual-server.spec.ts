import { request as http1Request } from "node:http";
import { connect } from "node:http2";
import { DualServer } from "./dual-server";

describe("DualServer", () => {
  let server: DualServer;
  let port: number;

  beforeAll(async () => {
    server = new DualServer((req, res) => {
      let size = 0;
      req.on("data", (c: Buffer) => (size += c.length));
      req.on("end", () => res.end(`${req.httpVersion} ${req.method} ${req.url} ${size}`));
    });
    port = await server.listen("127.0.0.1", 0);
  });
  afterAll(async () => {
    await server.stopAccepting();
    server.destroyAll();
  });

  const viaHttp1 = (path: string, body: Buffer) =>
    new Promise<string>((resolve, reject) => {
      const req = http1Request({ host: "127.0.0.1", port, path, method: "POST" }, (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString()));
        res.on("end", () => resolve(text));
      });
      req.on("error", reject);
      req.end(body);
    });

  it("serves HTTP/1.1 and h2c (prior knowledge) on the same port, bodies whole", async () => {
    const body = Buffer.alloc(300_000, 7);
    expect(await viaHttp1("/one", body)).toBe("1.1 POST /one 300000");
    const session = connect(`http://127.0.0.1:${port}`);
    try {
      const answers = await Promise.all(
        ["/a", "/b", "/c"].map(
          (path) =>
            new Promise<string>((resolve, reject) => {
              const stream = session.request({ ":method": "POST", ":path": path });
              let text = "";
              stream.on("data", (d: Buffer) => (text += d.toString()));
              stream.on("end", () => resolve(text));
              stream.on("error", reject);
              stream.end(body);
            }),
        ),
      );
      expect(answers).toEqual(["2.0 POST /a 300000", "2.0 POST /b 300000", "2.0 POST /c 300000"]);
    } finally {
      session.close();
    }
  });
});
