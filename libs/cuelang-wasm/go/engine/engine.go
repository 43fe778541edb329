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
	"unicode/utf8"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	"cuelang.org/go/encoding/json"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
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
	// ctx is the context value was built in: after a recycle, the schema is built again on first use.
	ctx  *cue.Context
	defs map[string]cue.Value
	// vet holds each definition as `cue vet -d` builds it: an expression in the schema's scope.
	vet map[string]cue.Value
}

// Engine holds compiled schemas by handle.
type Engine struct {
	ctx     *cue.Context
	schemas map[uint32]*schema
	next    uint32
	uses    int
	// files counts documents built as files (see Validate), which the context keeps more of.
	files int

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
	e.schemas[e.next] = &schema{filename: filename, source: slices.Clone(source), value: v, ctx: e.ctx, defs: map[string]cue.Value{}, vet: map[string]cue.Value{}}
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

// schema returns a schema by handle, built in the current context.
func (e *Engine) schema(handle uint32) (*schema, error) {
	s, ok := e.schemas[handle]
	if !ok {
		return nil, fail(KindNotFound, "no schema with handle %d", handle)
	}
	if s.ctx != e.ctx {
		// It compiled before, in an identical context: it compiles again.
		s.value, _ = e.build(s.filename, s.source)
		s.ctx = e.ctx
		s.defs = map[string]cue.Value{}
		s.vet = map[string]cue.Value{}
	}
	return s, nil
}

func (e *Engine) definition(handle uint32, name string) (cue.Value, *schema, error) {
	s, err := e.schema(handle)
	if err != nil {
		return cue.Value{}, nil, err
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
// `cue vet -c -d <definition> schema.cue data.json` does, step for step: the
// document is decoded as the CLI reads a file (a UTF-8 or UTF-16 byte-order
// mark is honoured, invalid UTF-8 becomes U+FFFD), extracted with
// encoding/json (never compiled as CUE), made a file of its own, unified
// with the definition built as the CLI builds its -d expression, and
// validated with every value concrete. The errors come sorted and without
// duplicates, as the CLI prints them. It returns nil when the document is valid.
func (e *Engine) Validate(handle uint32, name string, doc []byte) ([]Violation, error) {
	def, s, err := e.definition(handle, name)
	if err != nil {
		return nil, err
	}
	if depth := nesting(doc); depth > e.MaxDepth {
		return nil, fail(KindTooDeep, "document nests %d levels deep, more than the limit of %d", depth, e.MaxDepth)
	}
	text, err := decodeAsTheCLI(doc)
	if err != nil {
		return nil, &Error{Kind: KindInvalidJSON, Message: err.Error()}
	}
	expr, jerr := json.Extract("data.json", text)
	if jerr != nil {
		return nil, &Error{Kind: KindInvalidJSON, Message: message1(jerr)}
	}
	e.uses++
	defer e.maybeRecycle()
	schema, ok := s.vet[name]
	if !ok {
		schema = def
		if x, perr := parser.ParseExpr("--schema", name); perr == nil {
			schema = e.ctx.BuildExpr(x, cue.InferBuiltins(true), cue.Scope(s.value))
		}
		s.vet[name] = schema
	}
	// The CLI's data is a file: an object's fields are its declarations, any
	// other value is embedded, which changes the order in which CUE names the
	// values of a conflict. An object against a schema that may be a struct
	// is the same value built as an expression; the rest (always an error
	// but for scalar schemas) are built as files, which the context keeps:
	// they count towards an early recycle.
	var data cue.Value
	st, object := expr.(*ast.StructLit)
	switch {
	case object && schema.IncompleteKind()&cue.StructKind != 0:
		data = e.ctx.BuildExpr(st)
	case object:
		e.files++
		data = e.ctx.BuildFile(&ast.File{Decls: st.Elts})
	default:
		e.files++
		ast.SetRelPos(expr, token.NoSpace)
		data = e.ctx.BuildFile(&ast.File{Decls: []ast.Decl{&ast.EmbedDecl{Expr: expr}}})
	}
	// The CLI stops at the first step that fails: the data alone (keys given
	// twice with values that conflict), then the unification, then concreteness.
	verr := data.Err()
	if verr == nil {
		unified := data.Unify(schema)
		if verr = unified.Err(); verr != nil {
			if err := unified.Validate(); err != nil {
				verr = err
			}
		} else {
			verr = unified.Validate(cue.Concrete(true))
		}
	}
	if verr != nil {
		return violations(errors.Sanitize(errors.Promote(verr, "")), pathStrings(cue.ParsePath(name))), nil
	}
	return nil, nil
}

// maxFiles bounds the documents built as files in one context (each costs it about 10 KiB).
const maxFiles = 2000

// decodeAsTheCLI reads a document as the CLI reads a data file: past a
// byte-order mark (UTF-16 ones decoded), with invalid UTF-8 made U+FFFD.
// Plain UTF-8, the usual case, is left as it is.
func decodeAsTheCLI(doc []byte) ([]byte, error) {
	if len(doc) >= 2 && (doc[0] == 0xfe || doc[0] == 0xff || doc[0] == 0xef) || !utf8.Valid(doc) {
		text, _, err := transform.Bytes(unicode.BOMOverride(unicode.UTF8.NewDecoder()), doc)
		return text, err
	}
	return doc, nil
}

func (e *Engine) maybeRecycle() {
	if e.RecycleAfter > 0 && e.uses >= e.RecycleAfter || e.files >= maxFiles {
		e.Recycle()
	}
}

// Recycle moves every schema to a fresh context, dropping what the old one
// accumulated; each schema is built there again when next used.
func (e *Engine) Recycle() {
	e.ctx = cuecontext.New()
	e.uses = 0
	e.files = 0
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
