import { attributeLimits, checkDraft, completeEvent, InvalidAttributeError, InvalidExtensionError } from "./construct";

describe("checkDraft", () => {
  const draft = { type: "shop.order.placed" };
  const over = (n: number) => "x".repeat(n + 1);

  it("takes attributes at their limits", () => {
    expect(() =>
      checkDraft({
        type: "t".repeat(attributeLimits.type),
        id: "i".repeat(attributeLimits.id),
        source: "s".repeat(attributeLimits.source),
        subject: "j".repeat(attributeLimits.subject),
        time: new Date("9999-12-31T23:59:59Z"),
        extensions: Object.fromEntries(Array.from({ length: attributeLimits.extensions }, (_, i) => [`e${i}`, "v".repeat(attributeLimits.extensionValue)])),
      }),
    ).not.toThrow();
  });

  it.each([
    ["type", { type: over(attributeLimits.type) }, "type is 256 characters long; the limit is 255"],
    ["id", { id: over(attributeLimits.id) }, "id is 257 characters long; the limit is 256"],
    ["source", { source: over(attributeLimits.source) }, "source is 1025 characters long; the limit is 1024"],
    ["subject", { subject: over(attributeLimits.subject) }, "subject is 1025 characters long; the limit is 1024"],
    ["extensions.k", { extensions: { k: over(attributeLimits.extensionValue) } }, "extensions.k is 1025 characters long; the limit is 1024"],
    ["extensions", { extensions: Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`e${i}`, "v"])) }, "33 extension attributes; the limit is 32"],
    ["time", { time: new Date(Number.NaN) }, "time is not a point in time RFC 3339 can write (years 0 to 9999)"],
    ["time", { time: new Date("+010000-01-01T00:00:00Z") }, "time is not a point in time RFC 3339 can write (years 0 to 9999)"],
  ])("refuses %s past its limit, naming it", (attribute, fields, message) => {
    const err = (() => {
      try {
        checkDraft({ ...draft, ...fields });
      } catch (e) {
        return e;
      }
    })() as InvalidAttributeError;
    expect(err).toBeInstanceOf(InvalidAttributeError);
    expect(err).toMatchObject({ code: "invalid_argument", message, violations: [{ field: attribute, description: message }] });
  });

  it("refuses extension names that break the naming rule, also when completing an event", () => {
    expect(() => completeEvent({ ...draft, extensions: { Bad: "v" } }, { source: "/s", dataschema: "d" }, new Uint8Array())).toThrow(InvalidExtensionError);
  });
});
