/**
 * A validator program, as the engine compiles it from a definition
 * (go/engine/validator.go): what a JSON value must satisfy for the
 * definition to accept it, exact for every node it has. An `engine` node
 * stands for a construct the program does not cover; a host evaluating the
 * program must then leave the verdict to the engine.
 */
export interface ValidatorProgram {
  readonly root: ProgramNode;
  /** Definitions referred to by `ref` nodes, by index (recursion goes through them). */
  readonly defs: readonly ProgramNode[] | null;
}

/** The value of a const, ne or bound: JSON for strings, bools and null; kind and exact decimal text for numbers. */
interface Operand {
  readonly v?: string | boolean | null;
  readonly num?: "int" | "float";
  readonly n?: string;
}

export type ProgramNode =
  | { readonly k: "any" }
  | { readonly k: "engine"; readonly why: string }
  | { readonly k: "bool" | "string" | "int" | "float" | "number" }
  | ({ readonly k: "const" | "ne" | "multipleOf" } & Operand)
  | ({ readonly k: "bound"; readonly op: "<" | "<=" | ">" | ">=" } & Operand)
  | { readonly k: "regex"; readonly re: string; readonly not?: boolean }
  | { readonly k: "runes" | "items"; readonly min?: number; readonly max?: number }
  | { readonly k: "format"; readonly format: "rfc3339" | "date" | "uuid" | "ipv4" }
  | { readonly k: "and" | "or"; readonly of: readonly ProgramNode[] }
  | {
      readonly k: "struct";
      readonly fields?: readonly { readonly name: string; readonly required?: boolean; readonly t: ProgramNode }[];
      readonly patterns?: readonly { readonly match: ProgramNode; readonly t: ProgramNode }[];
      /** What a field neither declared nor matched by a pattern meets. */
      readonly rest: "closed" | "open" | "unknown";
    }
  | { readonly k: "list"; readonly prefix?: readonly ProgramNode[]; readonly elem?: ProgramNode; readonly min?: number; readonly max?: number }
  | { readonly k: "ref"; readonly def: number };
