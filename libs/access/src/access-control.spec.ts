import { AccessControl } from "./access-control";
import { AccessError } from "./access-error";
import type { AuditEntry } from "./audit";
import { callerOf } from "./caller";
import type { ProductAccess } from "./roles";

describe("AccessControl", () => {
  const products = new Map<string, ProductAccess>([
    ["hr", { owners: ["group:hr-team"], producers: ["hr-app"], consumers: ["group:analytics"] }],
    ["sales", { consumers: ["*"] }],
  ]);
  const types = new Map([
    ["hr.person.hired", "hr"],
    ["sales.order.placed", "sales"],
  ]);
  let lookups: number;
  let audit: AuditEntry[];
  const make = (ttl?: number) =>
    new AccessControl({
      accessOf: (p) => {
        lookups++;
        return products.get(p);
      },
      productOf: (type) => types.get(type),
      audit: (e) => audit.push(e),
      decisionTtlMs: ttl,
    });
  const admins = new Set(["root"]);
  const alice = callerOf("alice", ["alice", "group:hr-team"], admins);
  const carol = callerOf("carol", ["carol"], admins);
  const call = (caller = carol) => ({ caller, method: "meshstream.v1.IngestService/Publish" });

  beforeEach(() => {
    lookups = 0;
    audit = [];
  });

  it("refuses with PERMISSION_DENIED naming the product and the missing role, and audits it", () => {
    const access = make();
    let thrown: unknown;
    try {
      access.require(call(), "producer", "hr");
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AccessError);
    expect(thrown).toMatchObject({ code: "permission_denied", message: "carol may not publish to data product hr: the producer role is missing (access.producers or access.owners)" });
    expect(audit).toEqual([
      { principal: "carol", principals: ["carol"], method: "meshstream.v1.IngestService/Publish", product: "hr", role: "producer", outcome: "denied", reason: (thrown as Error).message },
    ]);
  });

  it("lets a caller with the role through without an audit line", () => {
    make().require(call(alice), "producer", "hr");
    expect(audit).toEqual([]);
  });

  it("takes a decision once per caller and product, until the catalog changes", () => {
    const access = make();
    for (let i = 0; i < 1000; i++) access.permits(alice, "producer", "hr");
    expect(lookups).toBe(1);
    access.permits(carol, "producer", "hr");
    expect(lookups).toBe(2);
    products.set("hr", { ...products.get("hr")!, producers: ["carol"] });
    try {
      expect(access.permits(carol, "producer", "hr")).toBe(false);
      access.invalidate();
      expect(access.permits(carol, "producer", "hr")).toBe(true);
      expect(lookups).toBe(3);
    } finally {
      products.set("hr", { owners: ["group:hr-team"], producers: ["hr-app"], consumers: ["group:analytics"] });
    }
  });

  it("takes a decision again once it expired (a change made on another instance)", async () => {
    const access = make(20);
    access.permits(alice, "consumer", "hr");
    await new Promise((r) => setTimeout(r, 30));
    access.permits(alice, "consumer", "hr");
    expect(lookups).toBe(2);
  });

  it("decides per event type from the cache: no lookup after the first event of a type", () => {
    const access = make();
    const hrApp = callerOf("hr-app", ["hr-app"], admins);
    for (let i = 0; i < 1000; i++) access.requireForType(call(hrApp), "producer", "hr.person.hired");
    expect(lookups).toBe(1);
    expect(() => access.requireForType(call(hrApp), "producer", "sales.order.placed")).toThrow("hr-app may not publish to data product sales: the producer role is missing (access.producers or access.owners)");
  });

  it("lets an unknown type through to the validation that answers NOT_FOUND", () => {
    expect(() => make().requireForType(call(), "producer", "no.such.type")).not.toThrow();
  });

  it("says when a product has no access at all", () => {
    expect(() => make().require(call(alice), "consumer", "vault")).toThrow("alice may not read data product vault: it has no access set, so only administrators may");
  });

  it("narrows a list of products to those the caller may read", () => {
    expect(make().readable(call(), ["hr", "sales", "vault"])).toEqual(["sales"]);
    expect(make().readable(call(callerOf("root", ["root"], admins)), ["hr", "sales", "vault"])).toEqual(["hr", "sales", "vault"]);
    expect(make().readable(call(), [])).toEqual([]);
  });

  it("refuses, audited, a caller that may read none of the products", () => {
    expect(() => make().readable(call(callerOf("dave", ["dave"], admins)), ["hr", "vault"])).toThrow("dave may read no data product: it holds the consumer role of none (access.consumers or access.owners)");
    expect(audit).toMatchObject([{ principal: "dave", outcome: "denied", role: "consumer" }]);
  });

  it("audits a change by an owner with its outcome, and drops cached decisions after it", async () => {
    const access = make();
    expect(access.permits(carol, "consumer", "hr")).toBe(false);
    await expect(access.change(call(alice), "hr", async () => "done")).resolves.toBe("done");
    await expect(access.change(call(alice), "hr", () => Promise.reject(new Error("incompatible schema")))).rejects.toThrow("incompatible schema");
    expect(audit.map((e) => [e.principal, e.product, e.outcome, e.reason])).toEqual([
      ["alice", "hr", "ok", undefined],
      ["alice", "hr", "failed", "incompatible schema"],
    ]);
    const before = lookups;
    access.permits(carol, "consumer", "hr");
    expect(lookups).toBe(before + 1);
  });

  it("refuses a change by a non-owner before running it", async () => {
    const run = jest.fn(async () => undefined);
    await expect(make().change(call(), "hr", run)).rejects.toMatchObject({ code: "permission_denied", message: expect.stringContaining("the owner role is missing (access.owners)") });
    expect(run).not.toHaveBeenCalled();
    expect(audit).toHaveLength(1);
  });

  it("lets only administrators change a product that does not exist yet", async () => {
    await expect(make().change(call(alice), "new-product", async () => "created")).rejects.toMatchObject({ code: "permission_denied" });
    await expect(make().change(call(callerOf("root", ["root"], admins)), "new-product", async () => "created")).resolves.toBe("created");
  });
});
