import { callerOf, trustedCaller, unauthenticatedCaller } from "./caller";
import { holds, type ProductAccess, type Role } from "./roles";

const admins = new Set(["root"]);
const access: ProductAccess = { owners: ["group:hr-team"], producers: ["hr-app"], consumers: ["group:analytics"] };
const open: ProductAccess = { owners: [], producers: [], consumers: ["*"] };

const alice = callerOf("alice", ["alice", "group:hr-team"], admins); // an owner
const hrApp = callerOf("hr-app", ["hr-app"], admins); // a producer
const bob = callerOf("bob", ["bob", "group:analytics"], admins); // a consumer
const carol = callerOf("carol", ["carol"], admins); // nobody in particular
const root = callerOf("root", ["root"], admins); // an administrator

describe("holds: the decision table", () => {
  it.each<[string, ReturnType<typeof callerOf>, Role, ProductAccess | undefined, boolean]>([
    ["an owner may change", alice, "owner", access, true],
    ["an owner may publish", alice, "producer", access, true],
    ["an owner may read", alice, "consumer", access, true],
    ["a producer may publish", hrApp, "producer", access, true],
    ["a producer may not read", hrApp, "consumer", access, false],
    ["a producer may not change", hrApp, "owner", access, false],
    ["a consumer (by group) may read", bob, "consumer", access, true],
    ["a consumer may not publish", bob, "producer", access, false],
    ["a consumer may not change", bob, "owner", access, false],
    ["a stranger may do nothing: read", carol, "consumer", access, false],
    ["a stranger may do nothing: publish", carol, "producer", access, false],
    ["'*' lets any authenticated caller read", carol, "consumer", open, true],
    ["'*' among consumers does not let anyone publish", carol, "producer", open, false],
    ["'*' among consumers does not let anyone change", carol, "owner", open, false],
    ["a product without access: not even its would-be owner", alice, "consumer", undefined, false],
    ["a product without access: administrators may", root, "owner", undefined, true],
    ["an administrator may publish anywhere", root, "producer", access, true],
    ["with auth off every caller is trusted", trustedCaller(), "owner", undefined, true],
    ["the caller of an open method matches not even '*'", unauthenticatedCaller, "consumer", open, false],
  ])("%s", (_what, caller, role, productAccess, expected) => {
    expect(holds(caller, role, productAccess)).toBe(expected);
  });

  it("makes administrators from MESHSTREAM_ADMINS, by any of their principals", () => {
    expect(callerOf("dana", ["dana", "group:platform"], new Set(["group:platform"])).admin).toBe(true);
    expect(callerOf("dana", ["dana"], new Set(["group:platform"])).admin).toBe(false);
  });

  it("does not let a group name pass as a user of the same name", () => {
    expect(holds(callerOf("x", ["x", "group:hr-app"], admins), "producer", access)).toBe(false);
  });
});
