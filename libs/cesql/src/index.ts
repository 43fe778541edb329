export { canonical, children, dataFieldName, walk, type Node, type SourcePosition, type Value, type BinaryOperator } from "./ast";
export { compile, requiredAttributes, staticType, type EventView, type Expression, type Problem } from "./compile";
export { CesqlError, CesqlSyntaxError, type CesqlErrorKind } from "./errors";
export { parameterType, resolveFunction, type FunctionSignature } from "./functions";
export { parse } from "./parse";
export { toBoolean, typeOf, type CesqlType, type StaticType } from "./values";
