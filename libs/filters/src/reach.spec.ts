import { prepareFilter } from "./prepare";
import { canMatch, type TypeKnowledge } from "./reach";

// One type "a.b" whose schema has the data field `x` only.
const known = (absentFieldsKnown: boolean): TypeKnowledge => ({
  attributes: new Map([
    ["type", "a.b"],
    ["specversion", "1.0"],
  ]),
  absent: (path) => absentFieldsKnown && path.join(".") !== "x",
});
const can = (sql: string, absentFieldsKnown = true) => canMatch(prepareFilter({ sql }, "").clauses, known(absentFieldsKnown));

describe("canMatch: can a filter be TRUE for some event of a type", () => {
  it.each([
    ["type = 'a.b'", true],
    ["type = 'a.c'", false],
    ["type LIKE 'a.%' AND subject = 'x'", true],
    ["type IN ('z', 'a.b')", true],
    ["specversion = '1.0'", true],
    ["NOT (type = 'a.b')", false],
    ["type = 'a.c' OR subject = 'x'", true],
    ["type = 'a.b' XOR subject = 'x'", true],
    ["type = 'a.b' XOR type = 'a.b'", false],
    // A field the schema rules out is a missing attribute: an error, so no match, whatever follows with AND.
    ["data.y = 1", false],
    ["data.y = 1 AND subject = 'x'", false],
    ["subject = 'x' AND data.y = 1", false],
    // With OR, the other side may still match; but an error on the left ends the evaluation first.
    ["subject = 'x' OR data.y = 1", true],
    ["data.y = 1 OR subject = 'x'", false],
    // NOT of an error is an error; NOT of "false or an error" may be TRUE.
    ["NOT (data.y = 1)", false],
    ["NOT (subject = 'x' AND data.y = 1)", true],
    ["EXISTS data.y", false],
    ["NOT EXISTS data.y", true],
    ["data.x = 1 AND EXISTS id", true],
    // Casts of known values follow CESQL: 'TRUE' is a Boolean for AND, but only TRUE itself passes a filter.
    ["'TRUE' AND type = 'a.b'", true],
    ["'yes' AND type = 'a.b'", false],
    ["type", false],
  ])("%s → %s", (sql, expected) => {
    expect(can(sql)).toBe(expected);
  });

  it("keeps data fields unknown until the schemas are consulted", () => {
    expect(can("data.y = 1", false)).toBe(true);
  });
});
