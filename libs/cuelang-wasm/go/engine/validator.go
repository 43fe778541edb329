package engine

import (
	"encoding/json"
	"fmt"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
)

// Node is one constraint of a validator program (the "IR"): what a JSON
// value must satisfy for the definition to accept it. The program is exact
// for what it covers: a host may accept a document only when every node it
// evaluates says so; an "engine" node stands for what is not covered, and
// the host then asks the engine.
//
// K is one of: any, engine, bool, string, int, float, number, const, ne,
// bound, regex, runes, format, multipleOf, items, and, or, struct, list, ref.
type Node struct {
	K string `json:"k"`
	// engine: why the sub-tree is not covered.
	Why string `json:"why,omitempty"`
	// const, ne, bound: the value, as JSON, when it is not a number...
	Value json.RawMessage `json:"v,omitempty"`
	// ...or the number's kind (int or float) and its exact decimal text.
	Num    string `json:"num,omitempty"`
	Number string `json:"n,omitempty"`
	// bound: <, <=, >, >= (on numbers, or on strings when Value is a string).
	Op string `json:"op,omitempty"`
	// regex: the JavaScript source (see jsRegex); Not for !~.
	Regex string `json:"re,omitempty"`
	Not   bool   `json:"not,omitempty"`
	// runes, items, list: bounds on the number of code points or elements.
	Min *int64 `json:"min,omitempty"`
	Max *int64 `json:"max,omitempty"`
	// format: rfc3339, date, uuid, ipv4.
	Format string `json:"format,omitempty"`
	// and, or.
	Of []*Node `json:"of,omitempty"`
	// struct.
	Fields   []Field   `json:"fields,omitempty"`
	Patterns []Pattern `json:"patterns,omitempty"`
	// struct: what a field neither declared nor matched by a pattern meets:
	// closed (not allowed), open (anything) or unknown (ask the engine).
	Rest string `json:"rest,omitempty"`
	// list: element constraints by position, then for every further element (nil: none allowed).
	Prefix []*Node `json:"prefix,omitempty"`
	Elem   *Node   `json:"elem,omitempty"`
	// ref: index in Program.Defs.
	Def *int `json:"def,omitempty"`
}

// Field is a declared field; Required when the document must have it
// (required, or regular with a value that is not concrete by itself).
type Field struct {
	Name     string `json:"name"`
	Required bool   `json:"required,omitempty"`
	Value    *Node  `json:"t"`
}

// Pattern is a pattern constraint `[match]: value`; Match is a regex node,
// a const (one label), any, or engine.
type Pattern struct {
	Match *Node `json:"match"`
	Value *Node `json:"t"`
}

// Program is the validator of one definition: Root, with Defs holding the
// definitions it refers to (recursion goes through them).
type Program struct {
	Root *Node   `json:"root"`
	Defs []*Node `json:"defs"`
}

// Validator compiles a definition into a validator program. It never fails
// on what it cannot express: that becomes an engine node.
func (e *Engine) Validator(handle uint32, name string) (*Program, error) {
	def, s, err := e.definition(handle, name)
	if err != nil {
		return nil, err
	}
	c := &compiler{root: s.value, index: map[string]int{}}
	if why := uncoveredSyntax(s.filename, s.source); why != "" {
		return &Program{Root: engineNode(why), Defs: []*Node{}}, nil
	}
	root := c.node(def, true)
	return &Program{Root: root, Defs: c.defs}, nil
}

type compiler struct {
	root  cue.Value
	defs  []*Node
	index map[string]int
	depth int
}

func engineNode(why string) *Node { return &Node{K: "engine", Why: why} }

// maxDepth bounds the program: a schema nested deeper is left to the engine there.
const maxDepth = 64

// node compiles v. inContext says whether v was reached through the
// evaluated value (fields, elements), so that its closedness is the one CUE
// gives it there; the operands of a disjunction are not, and a struct
// among them that looks open may be closed by its context.
func (c *compiler) node(v cue.Value, inContext bool) *Node {
	if c.depth >= maxDepth {
		return engineNode("nested too deep")
	}
	c.depth++
	defer func() { c.depth-- }()
	op, args := v.Expr()
	switch op {
	case cue.NoOp:
		if _, hasDefault := v.Default(); hasDefault && len(args) == 1 && args[0].Source() != v.Source() {
			// A default subsumed by another disjunct: the values accepted are the other's.
			return c.node(args[0], false)
		}
		return c.atom(v, inContext)
	case cue.SelectorOp:
		return c.reference(v, inContext)
	case cue.AndOp:
		return c.conjunction(v, args, inContext)
	case cue.OrOp:
		n := &Node{K: "or"}
		for _, a := range args {
			n.Of = append(n.Of, c.node(a, false))
		}
		return n
	case cue.LessThanOp, cue.LessThanEqualOp, cue.GreaterThanOp, cue.GreaterThanEqualOp:
		if len(args) != 1 {
			return engineNode("comparison of two values")
		}
		switch args[0].Kind() {
		case cue.IntKind, cue.FloatKind, cue.StringKind:
			return c.operand("bound", args[0], op.String())
		}
		return engineNode("bound that is not a concrete number or string")
	case cue.NotEqualOp, cue.EqualOp:
		if len(args) != 1 || !isScalar(args[0]) {
			return engineNode("comparison with a value that is not a concrete scalar")
		}
		if op == cue.NotEqualOp {
			return c.operand("ne", args[0], "")
		}
		return c.constant(args[0])
	case cue.RegexMatchOp, cue.NotRegexMatchOp:
		if len(args) != 1 {
			return engineNode("regular expression of two values")
		}
		pattern, err := args[0].String()
		if err != nil {
			return engineNode("regular expression that is not a concrete string")
		}
		re, err := jsRegex(pattern)
		if err != nil {
			return engineNode(err.Error())
		}
		return &Node{K: "regex", Regex: re, Not: op == cue.NotRegexMatchOp}
	case cue.CallOp:
		return c.call(fmt.Sprint(args[0]), args[1:])
	}
	return engineNode("operator " + op.String())
}

func isScalar(v cue.Value) bool {
	switch v.Kind() {
	case cue.NullKind, cue.BoolKind, cue.IntKind, cue.FloatKind, cue.StringKind:
		return true
	}
	return false
}

// constant is a const node for a concrete scalar.
func (c *compiler) constant(v cue.Value) *Node {
	b, err := v.MarshalJSON()
	if err != nil {
		return engineNode("constant that has no JSON form")
	}
	switch v.Kind() {
	case cue.IntKind:
		return &Node{K: "const", Num: "int", Number: string(b)}
	case cue.FloatKind:
		return &Node{K: "const", Num: "float", Number: string(b)}
	}
	return &Node{K: "const", Value: b}
}

// operand is a node of kind k (bound, ne, multipleOf) on a concrete scalar.
func (c *compiler) operand(k string, v cue.Value, op string) *Node {
	n := c.constant(v)
	if n.K == "const" {
		n.K, n.Op = k, op
	}
	return n
}

func (c *compiler) atom(v cue.Value, inContext bool) *Node {
	if isScalar(v) {
		return c.constant(v)
	}
	switch kind := v.IncompleteKind(); kind {
	case cue.TopKind:
		return &Node{K: "any"}
	case cue.NullKind:
		return &Node{K: "const", Value: json.RawMessage("null")}
	case cue.BoolKind:
		return &Node{K: "bool"}
	case cue.StringKind:
		return &Node{K: "string"}
	case cue.IntKind:
		return &Node{K: "int"}
	case cue.FloatKind:
		return &Node{K: "float"}
	case cue.NumberKind:
		return &Node{K: "number"}
	case cue.StructKind:
		return c.structNode(v, inContext)
	case cue.ListKind:
		return c.listNode(v, inContext, nil)
	default:
		return engineNode("value of kind " + kind.String())
	}
}

// reference compiles a reference: to a definition (through Defs, which is
// how recursion ends), to a builtin validator, or to a concrete value.
func (c *compiler) reference(v cue.Value, inContext bool) *Node {
	switch fmt.Sprint(v) {
	case "time.Time()", "uuid.Valid()", "net.IPv4()":
		return c.call(strings.TrimSuffix(fmt.Sprint(v), "()"), nil)
	}
	_, path := v.ReferencePath()
	if isDefinitionReference(v) {
		if target := c.root.LookupPath(path); target.Exists() {
			return c.definition(path.String(), target)
		}
	}
	if isScalar(v) {
		return c.constant(v)
	}
	// A reference to a field that is not concrete may be to the document itself (a: b).
	return engineNode("reference to " + path.String())
}

func isDefinitionReference(v cue.Value) bool {
	_, path := v.ReferencePath()
	sels := path.Selectors()
	return len(sels) > 0 && sels[len(sels)-1].IsDefinition()
}

func (c *compiler) definition(key string, target cue.Value) *Node {
	i, seen := c.index[key]
	if !seen {
		i = len(c.defs)
		c.index[key] = i
		c.defs = append(c.defs, nil)
		depth := c.depth
		c.depth = 0
		c.defs[i] = c.node(target, true)
		c.depth = depth
	}
	return &Node{K: "ref", Def: &i}
}

// conjunction compiles a & b & ...: structs and lists are read from the
// evaluated value, which has their conjuncts merged, after checking that
// every conjunct is structure (a literal or a reference) or a validator the
// program knows.
func (c *compiler) conjunction(v cue.Value, args []cue.Value, inContext bool) *Node {
	kind := v.IncompleteKind()
	if kind&(cue.StructKind|cue.ListKind) == 0 || kind == cue.TopKind {
		// Scalars (or nothing known: every operand is top, or a validator of any kind): each operand on its own.
		n := &Node{K: "and"}
		for _, a := range args {
			n.Of = append(n.Of, c.node(a, false))
		}
		return n
	}
	var validators []*Node
	var check func(args []cue.Value) string
	check = func(args []cue.Value) string {
		for _, a := range args {
			op, sub := a.Expr()
			switch {
			case op == cue.AndOp:
				if why := check(sub); why != "" {
					return why
				}
			case op == cue.NoOp && (a.IncompleteKind() == kind || a.IncompleteKind() == cue.TopKind):
			case op == cue.SelectorOp && a.IncompleteKind() == kind && isDefinitionReference(a):
				// A definition is the same whatever the document; another field is not (b: a & {...}).
			case op == cue.CallOp && kind == cue.ListKind:
				n := c.call(fmt.Sprint(sub[0]), sub[1:])
				if n.K != "items" {
					return "validator " + fmt.Sprint(sub[0]) + " on a list"
				}
				validators = append(validators, n)
			default:
				return "conjunct " + op.String() + " of a " + kind.String()
			}
		}
		return ""
	}
	if kind != cue.StructKind && kind != cue.ListKind {
		return engineNode("conjunction of several kinds")
	}
	if why := check(args); why != "" {
		return engineNode(why)
	}
	if kind == cue.StructKind {
		return c.structNode(v, inContext)
	}
	return c.listNode(v, inContext, validators)
}

func (c *compiler) structNode(v cue.Value, inContext bool) *Node {
	n := &Node{K: "struct", Fields: []Field{}, Patterns: []Pattern{}}
	it, err := v.Fields(cue.Optional(true), cue.Patterns(true))
	if err != nil {
		return engineNode("struct fields: " + err.Error())
	}
	for it.Next() {
		sel := it.Selector()
		if sel.ConstraintType() == cue.PatternConstraint {
			n.Patterns = append(n.Patterns, Pattern{Match: c.labelMatch(sel.Pattern()), Value: c.node(it.Value(), inContext)})
			continue
		}
		if sel.LabelType() != cue.StringLabel {
			continue
		}
		f := Field{Name: sel.Unquoted(), Value: c.node(it.Value(), inContext)}
		switch sel.ConstraintType() {
		case cue.RequiredConstraint:
			f.Required = true
		case cue.OptionalConstraint:
		default:
			// A regular field the document leaves out keeps the schema's value, which must then be concrete.
			f.Required = it.Value().Validate(cue.Concrete(true)) != nil
		}
		n.Fields = append(n.Fields, f)
	}
	switch {
	case !v.Allows(cue.AnyString):
		n.Rest = "closed"
	case inContext:
		n.Rest = "open"
	default:
		n.Rest = literalRest(v.Source())
	}
	return n
}

// literalRest is the closedness of a struct literal met out of its context
// (an operand of a disjunction), where the evaluator does not say it: the
// program only reaches literals written inside definitions, which close
// them unless they have `...`; an embedding may open one, so it stays unknown.
func literalRest(src ast.Node) string {
	if f, ok := src.(*ast.Field); ok {
		src = f.Value
	}
	lit, ok := src.(*ast.StructLit)
	if !ok {
		return "unknown"
	}
	rest := "closed"
	for _, d := range lit.Elts {
		switch d.(type) {
		case *ast.Field, *ast.CommentGroup, *ast.Attribute:
		case *ast.Ellipsis:
			rest = "open"
		default:
			return "unknown"
		}
	}
	return rest
}

// labelMatch compiles the label part of a pattern constraint.
func (c *compiler) labelMatch(p cue.Value) *Node {
	op, args := p.Expr()
	switch {
	case op == cue.RegexMatchOp || op == cue.NotRegexMatchOp:
		return c.node(p, false)
	case op == cue.NoOp && p.Kind() == cue.StringKind:
		return c.constant(p)
	case op == cue.NoOp && len(args) == 1 && (fmt.Sprint(p) == "string" || fmt.Sprint(p) == "_"):
		return &Node{K: "any"}
	}
	return engineNode("pattern " + fmt.Sprint(p))
}

func (c *compiler) listNode(v cue.Value, inContext bool, validators []*Node) *Node {
	n := &Node{K: "list", Prefix: []*Node{}}
	elem := v.LookupPath(cue.MakePath(cue.AnyIndex))
	length := v.Len()
	var count int64
	if elem.Exists() {
		// An open list's length is `int & >=n`, n being the elements it declares.
		op, args := length.Expr()
		if op == cue.AndOp && len(args) == 2 {
			if op2, args2 := args[1].Expr(); op2 == cue.GreaterThanEqualOp && len(args2) == 1 {
				count, _ = args2[0].Int64()
			}
		} else if op != cue.NoOp {
			return engineNode("list length " + fmt.Sprint(length))
		}
		n.Elem = c.node(elem, inContext)
	} else {
		var err error
		if count, err = length.Int64(); err != nil {
			return engineNode("list length " + fmt.Sprint(length))
		}
	}
	for i := range count {
		e := v.LookupPath(cue.MakePath(cue.Index(int(i))))
		if !e.Exists() {
			return engineNode("list element " + fmt.Sprint(i))
		}
		n.Prefix = append(n.Prefix, c.node(e, inContext))
	}
	for _, x := range validators {
		if x.Min != nil && (n.Min == nil || *x.Min > *n.Min) {
			n.Min = x.Min
		}
		if x.Max != nil && (n.Max == nil || *x.Max < *n.Max) {
			n.Max = x.Max
		}
	}
	return n
}

// call compiles the builtins the program covers.
func (c *compiler) call(name string, args []cue.Value) *Node {
	intArg := func() (*int64, bool) {
		if len(args) != 1 {
			return nil, false
		}
		i, err := args[0].Int64()
		return &i, err == nil && i >= 0
	}
	switch name {
	case "strings.MinRunes", "strings.MaxRunes", "list.MinItems", "list.MaxItems":
		n, ok := intArg()
		if !ok {
			break
		}
		node := &Node{K: "runes"}
		if strings.HasPrefix(name, "list.") {
			node.K = "items"
		}
		if strings.HasSuffix(name, "MinRunes") || strings.HasSuffix(name, "MinItems") {
			node.Min = n
		} else {
			node.Max = n
		}
		return node
	case "time.Time":
		if len(args) == 0 {
			return &Node{K: "format", Format: "rfc3339"}
		}
	case "time.Format":
		if len(args) == 1 {
			switch layout, _ := args[0].String(); layout {
			case "2006-01-02T15:04:05Z07:00", "2006-01-02T15:04:05.999999999Z07:00":
				return &Node{K: "format", Format: "rfc3339"}
			case "2006-01-02":
				return &Node{K: "format", Format: "date"}
			}
		}
	case "uuid.Valid":
		if len(args) == 0 {
			return &Node{K: "format", Format: "uuid"}
		}
	case "net.IPv4":
		if len(args) == 0 {
			return &Node{K: "format", Format: "ipv4"}
		}
	case "math.MultipleOf":
		if len(args) == 1 && (args[0].Kind() == cue.IntKind || args[0].Kind() == cue.FloatKind) {
			return c.operand("multipleOf", args[0], "")
		}
	}
	return engineNode("builtin " + name)
}

// uncoveredSyntax names a construct of the source that the evaluated value
// does not show and that can make a schema depend on the document:
// comprehensions, let clauses, dynamic labels, aliases, embedded
// expressions other than structs and references. "" when there is none.
func uncoveredSyntax(filename string, source []byte) string {
	f, err := parser.ParseFile(filename, source)
	if err != nil {
		return "source does not parse: " + err.Error()
	}
	why := ""
	ast.Walk(f, func(n ast.Node) bool {
		if why != "" {
			return false
		}
		switch x := n.(type) {
		case *ast.Comprehension:
			why = "comprehension"
		case *ast.LetClause:
			why = "let clause"
		case *ast.Alias:
			why = "alias"
		case *ast.Interpolation:
			why = "interpolation"
		case *ast.Field:
			switch l := x.Label.(type) {
			case *ast.ParenExpr, *ast.Interpolation:
				why = "dynamic field label"
			case *ast.BasicLit:
				if l.Kind != token.STRING {
					why = "field label " + l.Value
				}
			}
		case *ast.EmbedDecl:
			switch x.Expr.(type) {
			case *ast.Ident, *ast.SelectorExpr, *ast.StructLit:
			default:
				why = "embedded expression"
			}
		}
		return true
	}, nil)
	return why
}
