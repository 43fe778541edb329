import { isJsonMediaType, mediaTypeOf, negotiate } from "./media-type";

describe("media types", () => {
  it("reads the type of a Content-Type, parameters and case aside", () => {
    expect(mediaTypeOf("Application/JSON; charset=utf-8")).toBe("application/json");
    expect(mediaTypeOf(undefined)).toBe("");
  });

  it.each([
    ["application/json", true],
    ["text/json", true],
    ["application/cloudevents+json", true],
    ["application/vnd.api+json", true],
    ["text/plain", false],
    ["application/x-www-form-urlencoded", false],
    ["", false],
  ])("%s is JSON: %s", (type, json) => expect(isJsonMediaType(type)).toBe(json));

  it("negotiates by the client's preference, q-values and wildcards", () => {
    const offered = ["application/json", "text/event-stream"];
    expect(negotiate(undefined, offered)).toBe("application/json");
    expect(negotiate("*/*", offered)).toBe("application/json");
    expect(negotiate("text/event-stream", offered)).toBe("text/event-stream");
    expect(negotiate("text/*", offered)).toBe("text/event-stream");
    expect(negotiate("application/json;q=0.5, text/event-stream", offered)).toBe("text/event-stream");
    expect(negotiate("text/event-stream;q=0, */*", offered)).toBe("application/json");
    expect(negotiate("text/html", offered)).toBeUndefined();
  });
});
