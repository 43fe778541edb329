// Package engine is the CUE side of Meshstream: compile a schema once, then
// validate many JSON documents against its definitions, export OpenAPI and
// JSON Schema, and decide compatibility between versions by subsumption.
//
// An Engine is not safe for concurrent use (neither is a cue.Context): the
// host runs one per WebAssembly instance, one instance per worker thread.
package engine

import (
	"fmt"
	"slices"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/encoding/json"
)

// Kind classifies the failures of a call, so the host can map them to types.
type Kind string

const (
	KindSyntax      Kind = "syntax"       // the CUE source does not compile
	KindNotFound    Kind = "not_found"    // no such schema handle or definition
	KindInvalidJSON Kind = "invalid_json" // the document is not JSON
	KindTooDeep     Kind = "too_deep"     // the document nests deeper than allowed
	KindExport      Kind = "export"       // OpenAPI / JSON Schema generation failed
	KindInternal    Kind = "internal"     // a bug, including a recovered panic
)

// Error is a failure of the call itself, as opposed to data that is invalid.
type Error struct {
	Kind       Kind        `json:"kind"`
	Message    string      `json:"message"`
	Violations []Violation `json:"violations,omitempty"`
}

func (e *Error) Error() string { return e.Message }

func fail(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

type schema struct {
	filename string
	source   []byte
	value    cue.Value
	defs     map[string]cue.Value
}

// Engine holds compiled schemas by handle.
type Engine struct {
	ctx     *cue.Context
	schemas map[uint32]*schema
	next    uint32
	uses    int

	// RecycleAfter bounds memory: a cue.Context keeps every value built in it,
	// so after this many validations the engine starts a new context and
	// recompiles its schemas there. Handles stay valid.
	RecycleAfter int
	// MaxDepth refuses documents nested deeper than this before CUE parses
	// them; a parser recursing without bound would exhaust the stack.
	MaxDepth int
}

func New() *Engine {
	return &Engine{ctx: cuecontext.New(), schemas: map[uint32]*schema{}, RecycleAfter: 20000, MaxDepth: 1000}
}

// Compiled is the answer to Compile.
type Compiled struct {
	Handle      uint32   `json:"handle"`
	Definitions []string `json:"definitions"`
}

// Compile parses and evaluates a schema source. Errors carry line:column.
func (e *Engine) Compile(filename string, source []byte) (*Compiled, error) {
	v, err := e.build(filename, source)
	if err != nil {
		return nil, err
	}
	e.next++
	e.schemas[e.next] = &schema{filename: filename, source: slices.Clone(source), value: v, defs: map[string]cue.Value{}}
	return &Compiled{Handle: e.next, Definitions: definitions(v)}, nil
}

func (e *Engine) build(filename string, source []byte) (cue.Value, error) {
	v := e.ctx.CompileBytes(source, cue.Filename(filename))
	if err := v.Err(); err != nil {
		return v, &Error{Kind: KindSyntax, Message: message1(err), Violations: violations(err, nil)}
	}
	// Conflicts inside the schema (a: 1 & 2) only show on evaluation.
	if err := v.Validate(); err != nil {
		return v, &Error{Kind: KindSyntax, Message: message1(err), Violations: violations(err, nil)}
	}
	return v, nil
}

func definitions(v cue.Value) []string {
	names := []string{}
	it, err := v.Fields(cue.Definitions(true))
	if err != nil {
		return names
	}
	for it.Next() {
		if sel := it.Selector(); sel.IsDefinition() {
			names = append(names, sel.String())
		}
	}
	return names
}

// Free forgets a schema.
func (e *Engine) Free(handle uint32) {
	delete(e.schemas, handle)
}

func (e *Engine) definition(handle uint32, name string) (cue.Value, *schema, error) {
	s, ok := e.schemas[handle]
	if !ok {
		return cue.Value{}, nil, fail(KindNotFound, "no schema with handle %d", handle)
	}
	if d, ok := s.defs[name]; ok {
		return d, s, nil
	}
	path := cue.ParsePath(name)
	if err := path.Err(); err != nil {
		return cue.Value{}, nil, fail(KindNotFound, "definition %q is not a valid CUE path: %v", name, err)
	}
	d := s.value.LookupPath(path)
	if !d.Exists() {
		return cue.Value{}, nil, fail(KindNotFound, "definition %s not found in %s (it has: %v)", name, s.filename, definitions(s.value))
	}
	s.defs[name] = d
	return d, s, nil
}

// Validate checks one JSON document against a definition of a schema, as
// `cue vet -c -d <definition>` does: unify, then require concrete values.
// It returns nil when the document is valid.
func (e *Engine) Validate(handle uint32, name string, doc []byte) ([]Violation, error) {
	def, _, err := e.definition(handle, name)
	if err != nil {
		return nil, err
	}
	if depth := nesting(doc); depth > e.MaxDepth {
		return nil, fail(KindTooDeep, "document nests %d levels deep, more than the limit of %d", depth, e.MaxDepth)
	}
	// encoding/json, not CompileBytes: a document is data, never CUE code.
	expr, jerr := json.Extract("data.json", doc)
	if jerr != nil {
		return nil, &Error{Kind: KindInvalidJSON, Message: message1(jerr)}
	}
	e.uses++
	defer e.maybeRecycle()
	// Data first, as `cue vet` unifies it: CUE names conflicting values in that order.
	unified := e.ctx.BuildExpr(expr).Unify(def)
	if verr := unified.Validate(cue.Concrete(true)); verr != nil {
		return violations(verr, pathStrings(cue.ParsePath(name))), nil
	}
	return nil, nil
}

func (e *Engine) maybeRecycle() {
	if e.RecycleAfter <= 0 || e.uses < e.RecycleAfter {
		return
	}
	e.Recycle()
}

// Recycle moves every schema to a fresh context, dropping what the old one
// accumulated.
func (e *Engine) Recycle() {
	e.ctx = cuecontext.New()
	e.uses = 0
	for _, s := range e.schemas {
		// It compiled before, in an identical context: it compiles again.
		s.value, _ = e.build(s.filename, s.source)
		s.defs = map[string]cue.Value{}
	}
}

func pathStrings(p cue.Path) []string {
	sels := p.Selectors()
	out := make([]string, len(sels))
	for i, s := range sels {
		out[i] = s.String()
	}
	return out
}

// nesting returns the deepest nesting of arrays and objects in a JSON text,
// skipping strings; it never fails, leaving syntax to the parser.
func nesting(doc []byte) int {
	depth, deepest, inString, escaped := 0, 0, false, false
	for _, c := range doc {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			depth++
			deepest = max(deepest, depth)
		case c == '}' || c == ']':
			depth--
		}
	}
	return deepest
}

func message1(err error) string {
	if vs := violations(err, nil); len(vs) > 0 {
		v := vs[0]
		if v.Line > 0 {
			return fmt.Sprintf("%s:%d:%d: %s", v.File, v.Line, v.Column, v.Message)
		}
		return v.Message
	}
	return err.Error()
}
