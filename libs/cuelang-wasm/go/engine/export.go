package engine

import (
	"cuelang.org/go/cue"
	"cuelang.org/go/encoding/jsonschema"
	"cuelang.org/go/encoding/openapi"
)

// OpenAPI exports the definitions of a schema as an OpenAPI 3 document, as
// `cue export --out=openapi` does.
func (e *Engine) OpenAPI(handle uint32) ([]byte, error) {
	s, err := e.schema(handle)
	if err != nil {
		return nil, err
	}
	b, err := openapi.Gen(s.value, nil)
	if err != nil {
		return nil, &Error{Kind: KindExport, Message: message1(err)}
	}
	return b, nil
}

// JSONSchema exports one definition as a JSON Schema (draft 2020-12).
func (e *Engine) JSONSchema(handle uint32, name string) ([]byte, error) {
	def, _, err := e.definition(handle, name)
	if err != nil {
		return nil, err
	}
	expr, gerr := jsonschema.Generate(def, nil)
	if gerr != nil {
		return nil, &Error{Kind: KindExport, Message: message1(gerr)}
	}
	v := e.ctx.BuildExpr(expr)
	if err := v.Err(); err != nil {
		return nil, &Error{Kind: KindExport, Message: message1(err)}
	}
	return v.MarshalJSON()
}

// Export evaluates a whole schema source as data (every value concrete) and
// returns it as JSON: declarations written in CUE are read this way.
func (e *Engine) Export(handle uint32) ([]byte, error) {
	s, err := e.schema(handle)
	if err != nil {
		return nil, err
	}
	if err := s.value.Validate(cue.Concrete(true)); err != nil {
		return nil, &Error{Kind: KindExport, Message: message1(err), Violations: violations(err, nil)}
	}
	b, err := s.value.MarshalJSON()
	if err != nil {
		return nil, &Error{Kind: KindExport, Message: message1(err), Violations: violations(err, nil)}
	}
	return b, nil
}
