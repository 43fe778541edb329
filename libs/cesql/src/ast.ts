/** Where a node starts in the expression text: 0-based offset, 1-based line and column. */
export interface SourcePosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A CESQL value: String, Integer (a 32-bit integer; data fields may hold any JSON number) or Boolean. */
export type Value = string | number | boolean;

export type BinaryOperator = "*" | "/" | "%" | "+" | "-" | "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=" | "AND" | "OR" | "XOR";

export interface Literal {
  readonly kind: "literal";
  readonly value: Value;
  readonly at: SourcePosition;
}
/** A context attribute or extension, by its lower-case name. */
export interface Attribute {
  readonly kind: "attribute";
  readonly name: string;
  readonly at: SourcePosition;
}
/** `data.a.b`: a field of the event's JSON data (a Meshstream extension to CESQL). */
export interface DataField {
  readonly kind: "data";
  readonly path: readonly string[];
  readonly at: SourcePosition;
}
export interface Exists {
  readonly kind: "exists";
  readonly target: Attribute | DataField;
  readonly at: SourcePosition;
}
/** A function invocation; the name is upper-cased. */
export interface Call {
  readonly kind: "call";
  readonly name: string;
  readonly args: readonly Node[];
  readonly at: SourcePosition;
}
export interface Not {
  readonly kind: "not";
  readonly operand: Node;
  readonly at: SourcePosition;
}
export interface Negate {
  readonly kind: "negate";
  readonly operand: Node;
  readonly at: SourcePosition;
}
export interface Like {
  readonly kind: "like";
  readonly operand: Node;
  readonly pattern: string;
  readonly negated: boolean;
  readonly at: SourcePosition;
}
export interface In {
  readonly kind: "in";
  readonly operand: Node;
  readonly set: readonly Node[];
  readonly negated: boolean;
  readonly at: SourcePosition;
}
export interface Binary {
  readonly kind: "binary";
  readonly op: BinaryOperator;
  readonly left: Node;
  readonly right: Node;
  readonly at: SourcePosition;
}

export type Node = Literal | Attribute | DataField | Exists | Call | Not | Negate | Like | In | Binary;

/** The direct sub-expressions of a node, in evaluation order. */
export function children(node: Node): readonly Node[] {
  switch (node.kind) {
    case "literal":
    case "attribute":
    case "data":
      return [];
    case "exists":
      return [node.target];
    case "call":
      return node.args;
    case "not":
    case "negate":
    case "like":
      return [node.operand];
    case "in":
      return [node.operand, ...node.set];
    case "binary":
      return [node.left, node.right];
  }
}

/** Every node of the tree, parents before children. */
export function* walk(node: Node): Generator<Node> {
  yield node;
  for (const child of children(node)) yield* walk(child);
}

/**
 * A text that two expressions share exactly when they parse to the same tree
 * (case, spacing, quoting and redundant parentheses aside): a cache key.
 */
export function canonical(node: Node): string {
  return JSON.stringify(node, (key, value: unknown) => (key === "at" ? undefined : value));
}

/** How a data field is written in an expression, e.g. `data.address.zip`. */
export function dataFieldName(path: readonly string[]): string {
  return ["data", ...path.map((s) => (/^[A-Za-z0-9_]+$/.test(s) ? s : `\`${s}\``))].join(".");
}
